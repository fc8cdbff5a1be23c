import { parseArgs } from 'node:util';
import { startStandInIssuer } from './stand-in-issuer.js';

/**
 * The stand-in issuer as a process of its own, for trying trusted issuers
 * by hand against `npm start`, or for tests that want the issuer in another
 * process. It serves on loopback, writes a token into `--project <dir>`
 * (the kubelet's way: `<dir>/<file>` through `..data`) and renews it at
 * 80 % of its lifetime, prints one JSON line (`url`, `issuer`, `jwks_uri`,
 * `trust_domain`, `token_file`), and runs until SIGINT or SIGTERM.
 *
 *   node --import tsx e2e/support/stand-in-issuer-main.ts --kind kubernetes \
 *     --audience http://localhost:8080 --namespace apps --service-account task-service \
 *     --project /tmp/tessera-token
 *   node --import tsx e2e/support/stand-in-issuer-main.ts --kind spiffe --trust-domain example.org \
 *     --audience http://localhost:8080 --spiffe-path /ns/apps/sa/task-service --project /tmp/tessera-svid
 */
const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'kubernetes' },
    audience: { type: 'string' },
    namespace: { type: 'string', default: 'apps' },
    'service-account': { type: 'string', default: 'task-service' },
    'trust-domain': { type: 'string', default: 'example.org' },
    'spiffe-path': { type: 'string', default: '/ns/apps/sa/task-service' },
    lifetime: { type: 'string' },
    project: { type: 'string' },
    file: { type: 'string', default: 'tessera' },
  },
});

const kind = values.kind;
if (kind !== 'kubernetes' && kind !== 'spiffe') throw new Error('--kind is kubernetes or spiffe');
if (values.project !== undefined && values.audience === undefined) throw new Error('--project needs --audience');
const lifetime = Number(values.lifetime ?? (kind === 'kubernetes' ? 600 : 300));
if (!Number.isInteger(lifetime) || lifetime < 1) throw new Error('--lifetime is a number of seconds');

const issuer = await startStandInIssuer({ kind, trustDomain: values['trust-domain'] });
const audience = values.audience ?? '';
const mint = () =>
  kind === 'kubernetes'
    ? issuer.serviceAccountToken({
        namespace: values.namespace,
        serviceAccount: values['service-account'],
        audience,
        expirationSeconds: lifetime,
      })
    : issuer.jwtSvid({ path: values['spiffe-path'], audience, lifetimeSeconds: lifetime });
const projection =
  values.project === undefined
    ? undefined
    : await issuer.project({ dir: values.project, file: values.file, lifetimeSeconds: lifetime, mint });
// The projection's renewal timer is unref'd: keep the process alive until told to stop.
const alive = setInterval(() => {}, 1 << 30);

console.log(
  JSON.stringify({
    url: issuer.url,
    issuer: issuer.issuer ?? null,
    jwks_uri: issuer.jwksUri,
    trust_domain: kind === 'spiffe' ? issuer.trustDomain : null,
    token_file: projection?.path ?? null,
  }),
);

const stop = async () => {
  clearInterval(alive);
  await issuer.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
