// Private networking (main.bicep's vnetEnabled): a virtual network with a subnet for the function
// app's outbound traffic and one for private endpoints, the private DNS zones those endpoints are
// named in, and one private endpoint per service the archiver reaches.
import { privateEndpointType } from '../types.bicep'

@description('Required. Virtual network name.')
param name string

@description('Required. Azure region.')
param location string

@description('Optional. Tags for every resource.')
param tags object = {}

@description('Optional. Address space of the virtual network.')
param addressPrefix string = '10.0.0.0/16'

@description('Optional. Subnet the function app sends its traffic from (Flex Consumption VNet integration).')
param appSubnetPrefix string = '10.0.1.0/24'

@description('Optional. Subnet of the private endpoints.')
param privateEndpointSubnetPrefix string = '10.0.2.0/24'

@description('Required. Services the archiver reaches only through private endpoints.')
param privateEndpoints privateEndpointType[]

// One private DNS zone per kind of endpoint, named for this cloud (storage's suffix is in
// environment(), Service Bus's is not). Looping over the fixed kinds rather than the endpoints'
// zone names keeps every loop count known before the deployment (and to `bicep snapshot`).
var serviceBusZone = {
  AzureCloud: 'privatelink.servicebus.windows.net'
  AzureUSGovernment: 'privatelink.servicebus.usgovcloudapi.net'
  AzureChinaCloud: 'privatelink.servicebus.chinacloudapi.cn'
}[environment().name]
var zoneOf = {
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  dfs: 'privatelink.dfs.${environment().suffixes.storage}'
  namespace: serviceBusZone
}
var zoneKinds = ['blob', 'dfs', 'namespace']

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: { addressPrefixes: [addressPrefix] }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: appSubnetPrefix
          // Flex Consumption integrates through a subnet delegated to Container Apps environments.
          delegations: [{ name: 'flex-consumption', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: privateEndpointSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for kind in zoneKinds: {
    name: zoneOf[kind]
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (kind, i) in zoneKinds: {
    parent: zones[i]
    name: vnet.name
    location: 'global'
    tags: tags
    properties: {
      virtualNetwork: { id: vnet.id }
      registrationEnabled: false
    }
  }
]

resource endpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for e in privateEndpoints: {
    name: 'pe-${e.name}'
    location: location
    tags: tags
    properties: {
      subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'private-endpoints') }
      privateLinkServiceConnections: [
        {
          name: e.name
          // The ids are module outputs of main.bicep, passed in as data; there is no symbol to use here.
          #disable-next-line use-resource-id-functions
          properties: { privateLinkServiceId: e.resourceId, groupIds: [e.groupId] }
        }
      ]
    }
  }
]

// The zone group writes the endpoint's private address into its zone, so the service's usual
// host name resolves to it inside the virtual network.
resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (e, i) in privateEndpoints: {
    parent: endpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: e.groupId
          properties: { privateDnsZoneId: zones[indexOf(zoneKinds, e.groupId)].id }
        }
      ]
    }
  }
]

@description('Resource id of the subnet the function app integrates with.')
output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'app')
