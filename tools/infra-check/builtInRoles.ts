/**
 * Azure built-in roles by name, with their role definition GUIDs: the roles a deployment like this
 * one may use or must refuse. Vendored (no network here) from Microsoft's documentation, "Azure
 * built-in roles" (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles, source
 * MicrosoftDocs/azure-docs, articles/role-based-access-control/built-in-roles.md and its per-category
 * pages under built-in-roles/), each GUID checked against that page's table. A GUID is fixed for the
 * life of a role, so the table only grows: add a role here, from that page, before using it.
 */
export const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
  // General and privileged
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  'User Access Administrator': '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
  'Role Based Access Control Administrator': 'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
  // Storage
  'Storage Account Contributor': '17d1049b-9a84-46fb-8f53-869881c3d3ab',
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Blob Delegator': 'db58b8e5-c6ad-4a2a-8342-4190687cbf4a',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Queue Data Message Processor': '8a0f0c08-91a1-4084-bc3d-661d67233fed',
  'Storage Queue Data Message Sender': 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a',
  'Storage Queue Data Reader': '19e7f393-937e-4f77-808e-94535e297925',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Storage Table Data Reader': '76199698-9eea-4c19-bc75-cec21354c6b6',
  // Integration and analytics
  'Azure Service Bus Data Owner': '090c5cfd-751d-490a-894a-3ce6f1109419',
  'Azure Service Bus Data Receiver': '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0',
  'Azure Service Bus Data Sender': '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39',
  'Azure Event Hubs Data Owner': 'f526a384-b230-433a-b45c-95f59c4a2dec',
  'Azure Event Hubs Data Receiver': 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde',
  'Azure Event Hubs Data Sender': '2b629674-e913-4c01-ae53-ef4638d8f975',
  // Containers
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
  'Azure Kubernetes Service Cluster Admin Role': '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8',
  'Azure Kubernetes Service Cluster User Role': '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
  'Azure Kubernetes Service RBAC Admin': '3498e952-d568-435e-9b2c-8d77e338d7f7',
  'Azure Kubernetes Service RBAC Cluster Admin': 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b',
  'Azure Kubernetes Service RBAC Reader': '7f6c6a51-bcf8-42ba-9220-52d62157d7db',
  'Azure Kubernetes Service RBAC Writer': 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb',
  // Networking, monitoring, identity, secrets
  'Network Contributor': '4d97b98b-1d4f-4787-a291-c67834d212e7',
  'Private DNS Zone Contributor': 'b12aa53e-6015-4669-85d0-8515ebb3ae7f',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Monitoring Reader': '43d0d8ad-25c7-4714-9337-8ba259a9fe05',
  'Log Analytics Contributor': '92aaf0da-9dab-42b6-94a3-d43ce8d16293',
  'Log Analytics Reader': '73c42c96-874c-492b-b04d-ab87d138a893',
  'Managed Identity Operator': 'f1a07417-d97a-45cb-824c-7a7467783830',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
};

const byLowerName = new Map(Object.entries(BUILT_IN_ROLES).map(([name, id]) => [name.toLowerCase(), { name, id }]));
const byId = new Map(Object.entries(BUILT_IN_ROLES).map(([name, id]) => [id, name]));

/** The documented GUID of a role, by its name (case-insensitive), or undefined when the table has no such role. */
export function roleId(name: string): { name: string; id: string } | undefined {
  return byLowerName.get(name.toLowerCase());
}

/** The role a GUID belongs to, or undefined when it is no built-in role in the table. */
export function roleName(id: string): string | undefined {
  return byId.get(id.toLowerCase());
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
