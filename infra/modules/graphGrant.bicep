// Grants Microsoft Graph's application permission CallRecords.Read.All, with the Microsoft Graph
// Bicep extension (public cloud only; scripts/grant-graph.sh does the same in national clouds).
// The Graph identity is the managed identity itself, or an app registration that trusts it through
// a federated credential, so there is no secret either way.
extension microsoftGraphV1

@description('Required. Object (principal) id of the user-assigned managed identity.')
param managedIdentityPrincipalId string

@description('Required. Who holds the Graph permission: the managed identity, or an app registration created here.')
param graphIdentity 'managedIdentity' | 'appRegistration'

@description('Required. Unique name of the app registration (used when graphIdentity is appRegistration).')
param appUniqueName string

@description('Required. Display name of the app registration.')
param appDisplayName string

@description('Optional. Let other tenants consent to the app registration, so this deployment can archive them too.')
param multiTenant bool = false

// Microsoft Graph's well-known application id, the same in every tenant.
var graphAppId = '00000003-0000-0000-c000-000000000000'
var permission = 'CallRecords.Read.All'
var useApp = graphIdentity == 'appRegistration'

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

// Picked by value, not a pasted GUID, so the template states what it grants.
var callRecordsRole = filter(graph.appRoles, r => r.value == permission)[0]

resource app 'Microsoft.Graph/applications@v1.0' = if (useApp) {
  uniqueName: appUniqueName
  displayName: appDisplayName
  signInAudience: multiTenant ? 'AzureADMultipleOrgs' : 'AzureADMyOrg'
  // Declared so another tenant's admin consent shows exactly this permission.
  requiredResourceAccess: [
    {
      resourceAppId: graphAppId
      resourceAccess: [{ id: callRecordsRole.id, type: 'Role' }]
    }
  ]

  resource trust 'federatedIdentityCredentials@v1.0' = {
    name: '${appUniqueName}/archiver-managed-identity'
    description: 'The archiver\'s managed identity signs in as this app, with no secret.'
    audiences: ['api://AzureADTokenExchange']
    issuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
    subject: managedIdentityPrincipalId
  }
}

// `!`: read only when useApp holds, which is also when app and appPrincipal exist.
resource appPrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = if (useApp) {
  appId: app!.appId
}

resource grant 'Microsoft.Graph/appRoleAssignedTo@v1.0' = {
  principalId: useApp ? appPrincipal!.id : managedIdentityPrincipalId
  resourceId: graph.id
  appRoleId: callRecordsRole.id
}

@description('Id of the granted app role (CallRecords.Read.All).')
output appRoleId string = grant.appRoleId

@description('Client id of the app registration; empty when the managed identity holds the permission.')
output appClientId string = useApp ? app!.appId : ''
