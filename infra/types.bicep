// Types shared by main.bicep and its modules.

@export()
@description('Who a role is granted to: the archiver\'s managed identity, the person or pipeline that deploys, or the reader of the archive (a Synapse workspace).')
type principalKey = 'archiver' | 'deployer' | 'reader'

@export()
@description('A resource of this deployment that a role is scoped to, always the narrowest one that works.')
type roleTarget =
  | 'archiveContainer'
  | 'stateContainer'
  | 'deploymentContainer'
  | 'budgetContainer'
  | 'runtimeAccount'
  | 'jobsQueue'
  | 'appInsights'

@export()
@description('One built-in role at one scope for one principal.')
type roleAssignmentType = {
  @description('Required. Who gets the role.')
  principal: principalKey

  @description('Required. Where the role applies.')
  target: roleTarget

  @description('Required. Built-in role definition GUID.')
  roleDefinitionId: string

  @description('Required. Why the role is needed; written on the assignment.')
  reason: string
}

@export()
@description('Object ids and kinds of the principals named in roleAssignmentType.')
type principalsType = {
  @description('Required. The archiver\'s user-assigned managed identity.')
  archiver: principalType

  @description('Required. The deploying user or pipeline; id may be empty.')
  deployer: principalType

  @description('Required. The identity that reads the archive, such as a Synapse workspace; id may be empty.')
  reader: principalType
}

@export()
type principalType = {
  @description('Required. Object (principal) id; may be empty when granted is false.')
  id: string

  @description('Required. Principal kind, so ARM need not wait for directory replication.')
  type: 'ServicePrincipal' | 'User' | 'Group'

  @description('Required. Whether the principal gets its roles. Decided from parameters, not from id (which may be known only during the deployment), so every role loop is counted before the deployment starts and `bicep snapshot` can expand it.')
  granted: bool
}

@export()
@description('A blob container, optionally under a time-based immutability (WORM) policy.')
type containerType = {
  @description('Required. Container name.')
  name: string

  @description('Required. Name this container goes by in role targets.')
  target: roleTarget

  @description('Optional. Days each blob stays immutable after it is written; 0 or absent: no policy.')
  immutabilityDays: int?
}

@export()
@description('Which roles of a list apply to this module\'s resources, and who they go to.')
func rolesFor(roleAssignments roleAssignmentType[], principals principalsType, targets string[]) roleAssignmentType[] =>
  filter(roleAssignments, r => contains(targets, r.target) && principals[r.principal].granted)

@export()
@description('Deterministic name of a role assignment: the same scope, principal and role always give the same name, so redeploying never duplicates it.')
func roleAssignmentName(scopeId string, assignment roleAssignmentType, principals principalsType) string =>
  guid(scopeId, principals[assignment.principal].id, assignment.roleDefinitionId)

@export()
@description('The properties of a role assignment for one entry of the list.')
func roleAssignmentProperties(assignment roleAssignmentType, principals principalsType) resourceInput<'Microsoft.Authorization/roleAssignments@2022-04-01'>.properties => {
  principalId: principals[assignment.principal].id
  principalType: principals[assignment.principal].type
  roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', assignment.roleDefinitionId)
  description: assignment.reason
}

@export()
@description('A service reached through a private endpoint (vnetEnabled).')
type privateEndpointType = {
  @description('Required. Short name; the endpoint is pe-<name>.')
  name: string

  @description('Required. Resource id of the service.')
  resourceId: string

  @description('Required. Sub-resource the endpoint connects to, which also picks its private DNS zone (privatelink.blob..., privatelink.dfs..., privatelink.servicebus...).')
  groupId: 'blob' | 'dfs' | 'namespace'
}
