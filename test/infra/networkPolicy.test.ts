import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';

// The scorer namespace's NetworkPolicies, evaluated as Kubernetes evaluates them (a pod selected by
// no policy of a direction is open in it; a selected pod accepts only what some rule allows), for the
// connections the scorer makes and a few it must never make.
const repo = resolve(import.meta.dirname, '..', '..');
const NAMESPACE = 'tessera';

type Labels = Record<string, string>;
interface Peer {
  readonly ip?: string;
  readonly pod?: { readonly labels: Labels; readonly namespace: string; readonly namespaceLabels: Labels };
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}
interface PeerRule {
  ipBlock?: { cidr: string; except?: string[] };
  podSelector?: { matchLabels?: Labels };
  namespaceSelector?: { matchLabels?: Labels };
}
interface Rule {
  to?: PeerRule[];
  from?: PeerRule[];
  ports?: { port?: number; protocol?: string }[];
}
interface Policy {
  kind: string;
  spec: { podSelector: { matchLabels?: Labels }; policyTypes: string[]; ingress?: Rule[]; egress?: Rule[] };
}

const policies = parseAllDocuments(readFileSync(join(repo, 'infra/k8s/base/networkpolicy.yaml'), 'utf8'))
  .map((d) => d.toJS() as Policy)
  .filter((p) => p.kind === 'NetworkPolicy');

const selects = (selector: { matchLabels?: Labels } | undefined, labels: Labels) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
const ipToInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(base) / size);
}
function peerMatches(rule: PeerRule, peer: Peer): boolean {
  if (rule.ipBlock)
    return (
      peer.ip !== undefined &&
      inCidr(peer.ip, rule.ipBlock.cidr) &&
      !(rule.ipBlock.except ?? []).some((c) => inCidr(peer.ip!, c))
    );
  if (!peer.pod) return false;
  const nsOk = rule.namespaceSelector
    ? selects(rule.namespaceSelector, peer.pod.namespaceLabels)
    : peer.pod.namespace === NAMESPACE;
  return nsOk && (rule.podSelector ? selects(rule.podSelector, peer.pod.labels) : true);
}
function allowed(podLabels: Labels, direction: 'Ingress' | 'Egress', peer: Peer): boolean {
  const applying = policies.filter(
    (p) => selects(p.spec.podSelector, podLabels) && p.spec.policyTypes.includes(direction),
  );
  if (applying.length === 0) return true;
  return applying.some((p) =>
    (direction === 'Egress' ? (p.spec.egress ?? []) : (p.spec.ingress ?? [])).some((rule) => {
      const peers = direction === 'Egress' ? rule.to : rule.from;
      const peerOk = !peers || peers.length === 0 || peers.some((r) => peerMatches(r, peer));
      const portOk =
        !rule.ports ||
        rule.ports.some(
          (x) => (x.port === undefined || x.port === peer.port) && (x.protocol ?? 'TCP') === peer.protocol,
        );
      return peerOk && portOk;
    }),
  );
}

const scorer = { 'app.kubernetes.io/name': 'tessera-scorer', 'app.kubernetes.io/part-of': 'tessera' };
const coreDns = {
  labels: { 'k8s-app': 'kube-dns' },
  namespace: 'kube-system',
  namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
};
const azure = '20.50.1.1'; // a public Azure front end (Entra ID, storage, Service Bus)
const privateEndpoint = '10.240.16.4'; // privateNetworking: an endpoint in the VNet

describe('the scorer namespace is default-deny, with the egress the scorer needs', () => {
  it('the scorer reaches DNS (CoreDNS only), Azure over 443, Service Bus AMQP on 5671, public or private', () => {
    expect(allowed(scorer, 'Egress', { pod: coreDns, port: 53, protocol: 'UDP' })).toBe(true);
    expect(allowed(scorer, 'Egress', { pod: coreDns, port: 53, protocol: 'TCP' })).toBe(true);
    expect(allowed(scorer, 'Egress', { ip: azure, port: 443, protocol: 'TCP' })).toBe(true);
    expect(allowed(scorer, 'Egress', { ip: azure, port: 5671, protocol: 'TCP' })).toBe(true);
    expect(allowed(scorer, 'Egress', { ip: privateEndpoint, port: 443, protocol: 'TCP' })).toBe(true);
  });

  it('never the instance metadata endpoint (the node identities), no other port, no DNS server but CoreDNS', () => {
    expect(allowed(scorer, 'Egress', { ip: '169.254.169.254', port: 80, protocol: 'TCP' })).toBe(false);
    expect(allowed(scorer, 'Egress', { ip: '169.254.169.254', port: 443, protocol: 'TCP' })).toBe(false);
    expect(allowed(scorer, 'Egress', { ip: azure, port: 22, protocol: 'TCP' })).toBe(false);
    expect(allowed(scorer, 'Egress', { ip: '8.8.8.8', port: 53, protocol: 'UDP' })).toBe(false);
    const other = {
      labels: { app: 'x' },
      namespace: 'default',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'default' },
    };
    expect(allowed(scorer, 'Egress', { pod: other, port: 53, protocol: 'UDP' })).toBe(false);
  });

  it('inbound, the scorer takes its health port only; any other pod of the namespace nothing in or out', () => {
    const kubelet = { ip: '10.240.0.4', protocol: 'TCP' as const };
    expect(allowed(scorer, 'Ingress', { ...kubelet, port: 8080 })).toBe(true);
    expect(allowed(scorer, 'Ingress', { ...kubelet, port: 9090 })).toBe(false);
    const stray = { app: 'debug' };
    expect(allowed(stray, 'Egress', { ip: azure, port: 443, protocol: 'TCP' })).toBe(false);
    expect(allowed(stray, 'Ingress', { ...kubelet, port: 8080 })).toBe(false);
  });

  it('the policies are part of the base every overlay builds on', () => {
    expect(readFileSync(join(repo, 'infra/k8s/base/kustomization.yaml'), 'utf8')).toMatch(
      /^\s+- networkpolicy\.yaml$/m,
    );
  });
});
