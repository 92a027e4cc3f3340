// The deployment's invariants, read from the files themselves: every manifest in deploy/k8s parses and is listed in
// kustomization.yaml; the Deployment runs the image's built entry with 2+ replicas, probes on the container's port
// (/readyz, /healthz), a locked-down security context, and a grace period longer than the preStop sleep plus
// server.drainMs; the configuration it mounts passes core/config.ts's validator; every environment variable it
// provides is one server/load-config.ts reads; secrets are placeholders; the HPA and the PDB keep a replica up.
// And the Dockerfile's CMD names a file `npm run build` produces; its runtime ENV and the Deployment's memory limit
// are what `npm run bench` runs its gateways with (bench/children.ts IMAGE_ENV, bench/memory-cgroup.ts).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { validateConfig } from '../../core/config.ts';
import { applyEnv } from '../../server/load-config.ts';
import { cmdOf, envOf, readDockerfile, runtimeStage } from './dockerfile.ts';
import { IMAGE_ENV } from '../../bench/children.ts';
import { deployedMemoryMb } from '../../bench/memory-cgroup.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const K8S = join(ROOT, 'deploy', 'k8s');

type Doc = Record<string, any>;
const files = readdirSync(K8S).filter((f) => /\.ya?ml$/.test(f));
const docsByFile = Object.fromEntries(
  files.map((f) => [
    f,
    parseAllDocuments(readFileSync(join(K8S, f), 'utf8')).map((d) => {
      if (d.errors.length) throw new Error(`${f}: ${d.errors[0].message}`);
      return d.toJS() as Doc;
    }),
  ]),
);
const resources = Object.entries(docsByFile)
  .filter(([f]) => f !== 'kustomization.yaml')
  .flatMap(([, docs]) => docs);
const one = (kind: string, name?: string): Doc => {
  const found = resources.filter((r) => r.kind === kind && (!name || r.metadata?.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0];
};

const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const configMaps = resources.filter((r) => r.kind === 'ConfigMap');
const secrets = resources.filter((r) => r.kind === 'Secret');

/** The environment variables server/load-config.ts reads: the first item of each row of its ENV table. */
const READ_BY_GATEWAY = [...readFileSync(join(ROOT, 'server', 'load-config.ts'), 'utf8').matchAll(/^\s*\[\s*'([A-Z][A-Z0-9_]*)',\s*\[/gm)].map(
  (m) => m[1],
);

/** Every variable the container gets, by name, with where its value comes from. */
function containerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) env[e.name] = e.value ?? JSON.stringify(e.valueFrom);
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const source = (from.configMapRef ? configMaps : secrets).find((r) => r.metadata.name === ref.name);
    expect(source, `envFrom ${ref.name}`).toBeDefined();
    for (const [k, v] of Object.entries({ ...source!.data, ...source!.stringData })) env[(from.prefix ?? '') + k] = String(v);
  }
  return env;
}

/** The config file the pod mounts (the ConfigMap volume holding the file --config names) and the file's text. */
function mountedConfig(): string {
  const args: string[] = [...(container.command ?? []), ...(container.args ?? [])];
  const path = args[args.indexOf('--config') + 1];
  expect(args).toContain('--config');
  const mount = container.volumeMounts.find((m: Doc) => path.startsWith(`${m.mountPath}/`));
  const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
  const map = configMaps.find((c) => c.metadata.name === volume.configMap.name)!;
  return map.data[path.slice(mount.mountPath.length + 1)];
}

describe('deploy/k8s', () => {
  it('lists every manifest in kustomization.yaml, each parsing as YAML', () => {
    const kustomization = docsByFile['kustomization.yaml'][0];
    expect([...kustomization.resources].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
    expect(kustomization.images.map((i: Doc) => i.name)).toContain(container.image);
  });

  it('runs at least two replicas of the compiled entry the image builds', () => {
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    const cmd = cmdOf(runtimeStage(readDockerfile(join(ROOT, 'Dockerfile'))));
    expect(container.command.slice(0, cmd.length)).toEqual(cmd);
    expect(deployment.spec.selector.matchLabels).toEqual(
      Object.fromEntries(Object.keys(deployment.spec.selector.matchLabels).map((k) => [k, deployment.spec.template.metadata.labels[k]])),
    );
  });

  it('probes /readyz for readiness and /healthz for liveness and start-up, on the container port', () => {
    const port = container.ports[0];
    const onPort = (probe: Doc) => probe.httpGet.port === port.name || probe.httpGet.port === port.containerPort;
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.startupProbe.httpGet.path).toBe('/healthz');
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) expect(onPort(probe)).toBe(true);
    expect(port.containerPort).toBe(4000);
    const annotations = deployment.spec.template.metadata.annotations;
    expect(annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(port.containerPort),
      'prometheus.io/path': '/metrics',
    });
    const service = one('Service');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect([port.name, port.containerPort]).toContain(service.spec.ports[0].targetPort);
  });

  it('runs as a non-root user on a read-only root filesystem with no privilege escalation and no capabilities', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toMatchObject({ cpu: expect.anything(), memory: expect.anything() });
    expect(container.resources.limits).toMatchObject({ memory: expect.anything() });
  });

  it('mounts a config file that passes the validator and sets only variables the gateway reads', () => {
    const env = containerEnv();
    expect(Object.keys(env).filter((name) => !READ_BY_GATEWAY.includes(name))).toEqual([]);
    expect(READ_BY_GATEWAY).toEqual(
      expect.arrayContaining(['MOSAIC_LEGACY_API_KEY', 'MOSAIC_KEYSTONE_SERVICE_PASSWORD', 'MONGODB_URI', 'MOSAIC_REDIS_URL']),
    );
    const configMapEnv = Object.fromEntries(Object.entries(env).filter(([name]) => !secrets.some((s) => name in { ...s.data, ...s.stringData })));
    expect(() => validateConfig(applyEnv(parse(mountedConfig()), configMapEnv))).not.toThrow();
  });

  it('holds only placeholders in its Secret, and takes every secret from it', () => {
    const secret = one('Secret');
    const values = { ...secret.stringData, ...secret.data };
    expect(Object.keys(values).sort()).toEqual(['MONGODB_URI', 'MOSAIC_KEYSTONE_SERVICE_PASSWORD', 'MOSAIC_LEGACY_API_KEY', 'MOSAIC_REDIS_URL']);
    for (const value of Object.values(values)) expect(value).toMatch(/REPLACE_ME/);
    expect(container.envFrom.map((e: Doc) => e.secretRef?.name)).toContain(secret.metadata.name);
  });

  it('gives the drain more time than the preStop sleep plus server.drainMs before Kubernetes kills the pod', () => {
    const drainMs = validateConfig(parse(mountedConfig())).server.drainMs;
    const preStop: string[] = container.lifecycle.preStop.exec?.command ?? [];
    const sleepSeconds = container.lifecycle.preStop.sleep?.seconds ?? Number(preStop[preStop.indexOf('sleep') + 1]);
    expect(sleepSeconds).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(sleepSeconds * 1000 + drainMs);
  });

  it('never scales below two replicas, and keeps one available through voluntary disruptions', () => {
    const hpa = one('HorizontalPodAutoscaler');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.metrics.map((m: Doc) => m.resource?.name)).toContain('cpu');
    const pdb = one('PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });
});

describe('Dockerfile', () => {
  it('starts, as a non-root user, a file that npm run build produces from a compiled folder', () => {
    const stage = runtimeStage(readDockerfile(join(ROOT, 'Dockerfile')));
    const [node, entry] = cmdOf(stage);
    expect(node).toBe('node');
    const m = /^dist\/(.+)\.js$/.exec(entry);
    expect(m, entry).not.toBeNull();
    const source = `${m![1]}.ts`;
    expect(existsSync(join(ROOT, source))).toBe(true);
    const included: string[] = parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')).include;
    expect(included).toContain(source.split('/')[0]);
    expect(stage.instructions.filter((i) => i.op === 'USER').at(-1)?.args).toBe('node');
    expect(stage.instructions.some((i) => i.op === 'EXPOSE' && i.args === '4000')).toBe(true);
    expect(stage.instructions.find((i) => i.op === 'HEALTHCHECK')?.args).toContain('/healthz');
  });

  it("sets the runtime ENV the bench runs its gateways with, and the bench's memory limit is the Deployment's", () => {
    const env = envOf(runtimeStage(readDockerfile(join(ROOT, 'Dockerfile'))));
    for (const [name, value] of Object.entries(IMAGE_ENV)) expect(env[name], name).toBe(value);
    expect(`${deployedMemoryMb()}Mi`).toBe(container.resources.limits.memory);
  });
});
