// Built-in role definition ids by role name. Role assignments elsewhere name a role from this
// map, never a raw id, so a review reads "Azure Service Bus Data Sender", not a GUID.
// Deliberately absent: Owner, Contributor, User Access Administrator (infra:check rejects them).

@export()
@description('Built-in Azure role definition ids, by role name.')
var builtInRoles = {
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  'Azure Service Bus Data Sender': '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  'Azure Service Bus Data Receiver': '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  'Azure Service Bus Data Owner': '090c5cfd-751d-490a-894a-3ce6f1109419'
  'Azure Event Hubs Data Owner': 'f526a384-b230-433a-b45c-95f59c4a2dec'
  'Azure Event Hubs Data Receiver': 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde'
  'Azure Event Hubs Data Sender': '2b629674-e913-4c01-ae53-ef4638d8f975'
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec'
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb'
  'Azure Kubernetes Service RBAC Cluster Admin': 'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b'
  // privateNetworking: the cluster's identity manages the node subnet it joins.
  'Network Contributor': '4d97b98b-1d4f-4787-a291-c67834d212e7'
}

@export()
@description('A role assignment request: a principal, its type and a role name from builtInRoles.')
type roleRequest = {
  @description('Required. Object id of the principal.')
  principalId: string
  @description('Required. ServicePrincipal for managed identities, User or Group for people.')
  principalType: 'ServicePrincipal' | 'User' | 'Group'
  @description('Required. A role name from builtInRoles.')
  role: string
}
