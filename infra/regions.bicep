// Where the archiver's resources work, for main.bicep's location choices. Checked against
// `az functionapp list-flexconsumption-locations` and Azure's availability-zone list in 2026; when
// Microsoft adds a region, add it here and to main.bicep's @allowed list (a test keeps them equal).

@export()
@description('Public-cloud regions that offer the Flex Consumption plan.')
var flexConsumptionRegions = [
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
]

@export()
@description('US Government and China regions: no Flex Consumption there, so the archiver runs on the Consumption plan (HOSTING_PLAN=Consumption).')
var consumptionOnlyRegions = [
  'usgovvirginia'
  'usgovarizona'
  'usgovtexas'
  'usdodcentral'
  'usdodeast'
  'chinanorth3'
  'chinaeast3'
  'chinanorth2'
  'chinaeast2'
]

@export()
@description('Regions of the two lists above with availability zones, where zone-redundant storage (ZRS) can be created.')
var availabilityZoneRegions = [
  'australiaeast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'westeurope'
  'westus2'
  'westus3'
  'usgovvirginia'
  'chinanorth3'
]
