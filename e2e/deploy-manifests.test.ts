import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { parseDockerfile } from './support/dockerfile.js';
import { startTessera } from './support/tessera-process.js';

/**
 * The Kubernetes manifests in deploy/, on paper: every YAML document parsed,
 * and what would break in a cluster checked against the server itself (the
 * probe paths answered by a real Tessera, the port it listens on, the options
 * it knows), the image (its user, its version) and each other (selectors,
 * ports, the token volume and the path the workload reads).
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DEPLOY = join(ROOT, 'deploy');

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML of any shape, asserted on by the tests
type Doc = any;

const files = readdirSync(DEPLOY).filter((f) => /\.ya?ml$/.test(f));
const kustomization = parse(readFileSync(join(DEPLOY, 'kustomization.yaml'), 'utf8')) as Doc;
const docs: (Doc & { file: string })[] = files
  .filter((f) => f !== 'kustomization.yaml')
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(DEPLOY, file), 'utf8')).map((d) => {
      assert.deepEqual(d.errors, [], file);
      return { ...(d.toJS() as Doc), file };
    }),
  );
const ofKind = (kind: string) => docs.filter((d) => d.kind === kind);
const named = (kind: string, name: string) => {
  const found = docs.find((d) => d.kind === kind && d.metadata?.name === name);
  assert.ok(found, `no ${kind} ${name} in deploy/`);
  return found;
};

const deployments = ofKind('Deployment');
const tessera = deployments.find((d) => d.metadata.name === 'tessera');
const workload = deployments.find((d) => d.metadata.name !== 'tessera');
const container = tessera?.spec.template.spec.containers[0];
const config = named('ConfigMap', container?.envFrom?.[0]?.configMapRef?.name).data as Record<string, string>;
/** The container's environment as the kubelet builds it: the ConfigMap, then `env` (values or references). */
const env: Record<string, Doc> = {
  ...config,
  ...Object.fromEntries((container?.env ?? []).map((e: Doc) => [e.name, e.value ?? e.valueFrom])),
};
const serverOptions = [
  ...readFileSync(join(ROOT, 'packages/server/src/config/options.ts'), 'utf8').matchAll(/env: '(TESSERA_[A-Z_]+)'/g),
].map((m) => m[1]);
const runtime = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).stages.at(-1);

/** A probe's or Service's port (number or name) as the container port it reaches. */
function containerPort(c: Doc, port: number | string): number {
  if (typeof port === 'number') return port;
  const p = c.ports.find((x: Doc) => x.name === port);
  assert.ok(p, `no container port named ${port}`);
  return p.containerPort;
}

describe('deploy/ Kubernetes manifests', () => {
  it('are the expected objects, all listed in kustomization.yaml, with no Secret among them', () => {
    assert.deepEqual([...kustomization.resources].sort(), files.filter((f) => f !== 'kustomization.yaml').sort());
    assert.deepEqual(docs.map((d) => d.kind).sort(), [
      'ConfigMap',
      'Deployment',
      'Deployment',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);
    assert.ok(tessera && workload, 'a Tessera Deployment and a workload Deployment');
    for (const d of docs) assert.ok(d.apiVersion && d.metadata?.name, `${d.file}: apiVersion and name`);
  });

  it('run two replicas of the image built here, at the server version, with the options the server knows', () => {
    assert.equal(tessera.spec.replicas, 2);
    const version = JSON.parse(readFileSync(join(ROOT, 'packages/server/package.json'), 'utf8')).version;
    assert.equal(container.image, `tessera:${version}`);
    assert.deepEqual(kustomization.images, [{ name: 'tessera', newTag: version }]);
    for (const name of Object.keys(env).filter((n) => n.startsWith('TESSERA_')))
      assert.ok(serverOptions.includes(name), `${name} is not a server option`);
    assert.ok(env.TESSERA_ISSUER?.startsWith('https://'), 'a public https issuer');
  });

  it('listen on the container port that probes and the Service reach, and probe paths the server serves', async () => {
    const port = Number(env.TESSERA_PORT ?? 8080);
    assert.equal(env.TESSERA_HOST, '0.0.0.0', 'reachable from the kubelet and the Service');
    assert.deepEqual(
      container.ports.map((p: Doc) => p.containerPort),
      [port],
    );
    const probes = {
      startup: container.startupProbe,
      liveness: container.livenessProbe,
      readiness: container.readinessProbe,
    };
    assert.equal(probes.startup.httpGet.path, '/healthz');
    assert.equal(probes.liveness.httpGet.path, '/healthz');
    assert.equal(probes.readiness.httpGet.path, '/readyz');
    for (const probe of Object.values(probes)) assert.equal(containerPort(container, probe.httpGet.port), port);
    // Readiness is polled more often than the drain period, so a stopping pod leaves the endpoints in time.
    assert.ok(probes.readiness.periodSeconds * 1000 < Number(env.TESSERA_SHUTDOWN_DRAIN_MS));
    const grace = tessera.spec.template.spec.terminationGracePeriodSeconds * 1000;
    assert.ok(grace > Number(env.TESSERA_SHUTDOWN_DRAIN_MS) + Number(env.TESSERA_SHUTDOWN_TIMEOUT_MS));

    const service = named('Service', 'tessera');
    for (const p of service.spec.ports) assert.equal(containerPort(container, p.targetPort), port);

    // The paths, asked of a real server.
    const server = await startTessera();
    try {
      for (const probe of Object.values(probes)) {
        const r = await fetch(server.url + probe.httpGet.path);
        assert.equal(r.status, 200, probe.httpGet.path);
      }
    } finally {
      await server.stop();
    }
  });

  it('select the Deployment pods from the Service and the PodDisruptionBudget, which lets one go at a time', () => {
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
    for (const d of deployments)
      assert.ok(selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels), d.metadata.name);
    const labels = tessera.spec.template.metadata.labels;
    assert.ok(selects(named('Service', 'tessera').spec.selector, labels), 'the Service selects the pods');
    assert.ok(!selects(named('Service', 'tessera').spec.selector, workload.spec.template.metadata.labels));
    const pdb = ofKind('PodDisruptionBudget')[0];
    assert.ok(selects(pdb.spec.selector.matchLabels, labels), 'the PDB selects the pods');
    assert.equal(pdb.spec.minAvailable, 1);
    assert.ok(pdb.spec.minAvailable < tessera.spec.replicas, 'a drain can still evict one');
  });

  it('run as the image’s non-root user, read-only, without privileges, with resources set', () => {
    const [uid] = String(runtime?.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args).split(':');
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      assert.equal(pod.securityContext.runAsNonRoot, true, d.metadata.name);
      assert.ok(pod.securityContext.runAsUser > 0, d.metadata.name);
      for (const c of pod.containers) {
        assert.equal(c.securityContext.allowPrivilegeEscalation, false);
        assert.equal(c.securityContext.readOnlyRootFilesystem, true);
        assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
        assert.ok(c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory);
      }
    }
    assert.equal(String(tessera.spec.template.spec.securityContext.runAsUser), uid, 'the Dockerfile’s USER');
  });

  it('write no secret: secret settings come from a Secret created apart, as deploy/README.md says', () => {
    const secretish = /KEY|SECRET|PASSWORD|TOKEN|DATABASE_URL/;
    for (const name of Object.keys(config)) assert.doesNotMatch(name, secretish, `${name} in the ConfigMap`);
    const refs = (container.env as Doc[]).filter((e) => secretish.test(e.name));
    assert.deepEqual(refs.map((e) => e.name).sort(), [
      'TESSERA_ADMIN_KEY',
      'TESSERA_DATABASE_URL',
      'TESSERA_ENCRYPTION_KEY',
    ]);
    const readme = readFileSync(join(DEPLOY, 'README.md'), 'utf8');
    for (const e of refs) {
      assert.equal(e.value, undefined, `${e.name} has a literal value`);
      const { name, key } = e.valueFrom.secretKeyRef;
      assert.match(readme, new RegExp(`create secret generic ${name}\\b`));
      assert.match(readme, new RegExp(`--from-literal=${key}=`), `deploy/README.md creates ${key}`);
    }
    for (const d of docs) assert.doesNotMatch(JSON.stringify(d), /"(data|stringData)":\{[^}]*(key|secret)/i);
  });

  it('give the workload a projected service-account token for Tessera, where it reads it', () => {
    const pod = workload.spec.template.spec;
    assert.ok(named('ServiceAccount', pod.serviceAccountName));
    const volumes = pod.volumes.filter((v: Doc) => v.projected?.sources?.some((s: Doc) => s.serviceAccountToken));
    assert.equal(volumes.length, 1);
    const token = volumes[0].projected.sources.find((s: Doc) => s.serviceAccountToken).serviceAccountToken;
    assert.equal(token.audience, env.TESSERA_ISSUER, "Tessera's issuer, the audience it expects by default");
    assert.ok(token.expirationSeconds >= 600 && token.expirationSeconds <= 3600, 'Kubernetes allows ≥ 600 s');
    const c = pod.containers[0];
    const mount = c.volumeMounts.find((m: Doc) => m.name === volumes[0].name);
    assert.equal(mount.readOnly, true);
    const path = `${mount.mountPath}/${token.path}`;
    assert.equal(path, '/var/run/secrets/tokens/tessera');
    const workloadEnv = Object.fromEntries(c.env.map((e: Doc) => [e.name, e.value]));
    assert.equal(workloadEnv.TESSERA_CLIENT_ASSERTION_FILE, path);
    assert.equal(workloadEnv.TESSERA_ISSUER, env.TESSERA_ISSUER);
    assert.match(readFileSync(join(DEPLOY, 'workload-deployment.yaml'), 'utf8'), /clientAssertionFile.*issue 28/s);
  });
});
