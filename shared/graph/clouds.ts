/** The national clouds that serve the call records API, with their Graph and Entra hosts. */
export const cloudNames = ["Global", "USGov", "USGovDoD", "China"] as const;
export type CloudName = (typeof cloudNames)[number];

export interface Cloud {
  readonly name: CloudName;
  readonly graphEndpoint: string;
  readonly authorityHost: string;
  /** Audience a managed identity token must carry to be exchanged for an app's token. */
  readonly tokenExchangeAudience: string;
  /** `participants_v2` as a list is served by the global cloud only. */
  readonly hasParticipantsList: boolean;
  /** What every blob endpoint's host ends with in this cloud: a storage token is sent nowhere else. */
  readonly blobHostSuffix: string;
  /**
   * `cloud_instance_name` of a tenant's OpenID configuration in this cloud: a tenant whose
   * discovery names another belongs to another cloud, where this deployment's app cannot read.
   */
  readonly cloudInstanceName: string;
}

export const clouds: Readonly<Record<CloudName, Cloud>> = {
  Global: {
    name: "Global",
    graphEndpoint: "https://graph.microsoft.com",
    authorityHost: "https://login.microsoftonline.com",
    tokenExchangeAudience: "api://AzureADTokenExchange",
    hasParticipantsList: true,
    blobHostSuffix: ".blob.core.windows.net",
    cloudInstanceName: "microsoftonline.com",
  },
  USGov: {
    name: "USGov",
    graphEndpoint: "https://graph.microsoft.us",
    authorityHost: "https://login.microsoftonline.us",
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
    hasParticipantsList: false,
    blobHostSuffix: ".blob.core.usgovcloudapi.net",
    cloudInstanceName: "microsoftonline.us",
  },
  USGovDoD: {
    name: "USGovDoD",
    graphEndpoint: "https://dod-graph.microsoft.us",
    authorityHost: "https://login.microsoftonline.us",
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
    hasParticipantsList: false,
    blobHostSuffix: ".blob.core.usgovcloudapi.net",
    cloudInstanceName: "microsoftonline.us",
  },
  China: {
    name: "China",
    graphEndpoint: "https://microsoftgraph.chinacloudapi.cn",
    authorityHost: "https://login.chinacloudapi.cn",
    tokenExchangeAudience: "api://AzureADTokenExchangeChina",
    hasParticipantsList: false,
    blobHostSuffix: ".blob.core.chinacloudapi.cn",
    cloudInstanceName: "partner.microsoftonline.cn",
  },
};

/** True when the authority host is one Entra knows, so MSAL's instance discovery can run. */
export const isKnownAuthorityHost = (host: string): boolean =>
  Object.values(clouds).some((c) => c.authorityHost === host);
