/**
 * Structural checks of scorer-image/Dockerfile (Docker cannot build here, and hadolint installs
 * from neither the npm registry nor Debian): the targets and their bases, ffmpeg, npm ci with only
 * the install scripts the image names, the CUDA provider fetched at build time by onnxruntime-node's
 * own script, a non-root user matching the Deployment, no secrets, the probes' port, and a build
 * context that sends only what the image needs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { baseChain, dependencies, readDockerfile, type Stage } from '../support/scorer/dockerfile.js';

const at = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const stages = readDockerfile(at('scorer-image/Dockerfile'));
const stage = (name: string): Stage => {
  const s = stages.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name}`);
  return s;
};
const args = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

interface Container {
  ports: { containerPort: number }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string } };
}
const deployment = parse(readFileSync(at('infra/k8s/base/deployment.yaml'), 'utf8')) as {
  spec: {
    template: {
      spec: {
        terminationGracePeriodSeconds: number;
        securityContext: { runAsUser: number; runAsGroup: number };
        containers: Container[];
      };
    };
  };
};
const pod = deployment.spec.template.spec;

describe('scorer-image/Dockerfile', () => {
  it('is multi-stage with a cpu and a gpu target on the right bases', () => {
    expect(stages.length).toBeGreaterThanOrEqual(4);
    expect(baseChain(stages, 'cpu').at(-1)).toBe('node:22-bookworm-slim');
    expect(baseChain(stages, 'gpu').at(-1)).toMatch(/^nvidia\/cuda:12\.\d+(\.\d+)?-cudnn-runtime-ubuntu\d\d\.04$/);
    // The runtime stages copy their dependencies from build stages, never build in place.
    for (const target of ['cpu', 'gpu']) {
      expect(args(stage(target), 'RUN').join('\n')).not.toMatch(/npm (ci|install)/);
      expect(dependencies(stages, target).has('build'), `${target} depends on the type-checking build stage`).toBe(
        true,
      );
    }
    expect(args(stage('build'), 'RUN').join('\n')).toMatch(/npm ci(?! --omit)/);
    expect(args(stage('build'), 'RUN').join('\n')).toMatch(/npm run build/);
  });

  it("installs from the lock with npm ci and runs only the install scripts it names (Node 22's npm ignores allowScripts)", () => {
    const installs = stages
      .flatMap((s) => args(s, 'RUN'))
      .flatMap((run) => run.match(/npm (ci|install)\b[^&|;]*/g) ?? []);
    expect(installs.length).toBeGreaterThanOrEqual(2);
    for (const install of installs) {
      expect(install).toMatch(/^npm ci /);
      expect(install).toContain('--ignore-scripts');
    }
  });

  it('fetches the CUDA 12 provider at build time for the gpu target only', () => {
    const gpuDeps = [...dependencies(stages, 'gpu')].flatMap((n) => args(stage(n), 'RUN'));
    expect(gpuDeps.join('\n')).toMatch(
      /node node_modules\/onnxruntime-node\/script\/install --onnxruntime-node-install=cuda12/,
    );
    expect(gpuDeps.join('\n')).toContain('libonnxruntime_providers_cuda.so');
    const cpuDeps = [...dependencies(stages, 'cpu')].flatMap((n) => args(stage(n), 'RUN'));
    expect(cpuDeps.join('\n')).not.toContain('--onnxruntime-node-install');
  });

  it("installs ffmpeg and runs the entry point as the Deployment's non-root user, on the probes' port", () => {
    const { runAsUser, runAsGroup } = pod.securityContext;
    const [container] = pod.containers;
    for (const target of ['cpu', 'gpu']) {
      const s = stage(target);
      expect(args(s, 'RUN').join('\n')).toMatch(/apt-get install[^\n]*\bffmpeg\b/);
      const users = args(s, 'USER');
      expect(users.at(-1)).toBe(`${runAsUser}:${runAsGroup}`);
      expect(users.at(-1)).not.toMatch(/^(0|root)\b/);
      expect(args(s, 'EXPOSE')).toContain(String(container!.ports[0]!.containerPort));
      // The compiled entry point (tsconfig.build.json: src and scorer-image/src to dist/), no TypeScript loader.
      const entrypoint = JSON.parse(args(s, 'ENTRYPOINT').at(-1)!) as string[];
      expect(entrypoint.slice(-2)).toEqual(['node', 'dist/scorer-image/src/main.js']);
      expect(entrypoint.join(' ')).not.toContain('tsx');
      expect(args(s, 'ENV').join(' ')).toContain('TESSERA_HEALTH_PORT=8080');
    }
    expect(container!.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container!.livenessProbe.httpGet.path).toBe('/healthz');
  });

  it('holds no secrets: no secret-like ENV or ARG, no keys in any value', () => {
    const secretName = /(KEY|SECRET|TOKEN|PASSWORD|PASSWD|CONNECTION_?STRING|SAS|CREDENTIAL)/i;
    for (const s of stages) {
      for (const i of s.instructions.filter((x) => x.keyword === 'ENV' || x.keyword === 'ARG')) {
        for (const name of i.args.split(/\s+/).map((kv) => kv.split('=')[0]!))
          expect(name, `line ${i.line}`).not.toMatch(secretName);
      }
      for (const i of s.instructions)
        expect(i.args, `line ${i.line}`).not.toMatch(/AccountKey=|SharedAccessKey=|BEGIN [A-Z ]*PRIVATE KEY/);
    }
  });

  it('sends only the sources and the lockfile as build context', () => {
    const ignore = readFileSync(at('scorer-image/Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1));
    const sources = stages
      .flatMap((s) => args(s, 'COPY'))
      .filter((a) => !a.includes('--from='))
      .flatMap((a) => a.split(/\s+/).slice(0, -1));
    for (const source of sources)
      expect(
        allowed.some((p) => source === p || source.startsWith(`${p}/`)),
        source,
      ).toBe(true);
    expect(allowed).not.toContain('.env');
  });

  it("drains within the pod's termination grace period by default", async () => {
    const { loadScorerSettings } = await import('../../scorer-image/src/scorerSettings.js');
    const settings = loadScorerSettings({
      TESSERA_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      TESSERA_SERVICEBUS_CONNECTION_STRING: 'Endpoint=sb://localhost;UseDevelopmentEmulator=true',
    });
    expect(settings.drainSeconds).toBe(240);
    expect(settings.drainSeconds).toBeLessThan(pod.terminationGracePeriodSeconds);
  });
});
