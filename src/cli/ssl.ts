// `--ssl` on the command line: the names its certificate must cover (this machine's, and its network
// addresses when the server is exposed), made or reused once by the primary, and handed to workers so
// that every process of a pool serves the same certificate.
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { ALL_INTERFACES, type Endpoint } from '../server/endpoints.js';
import { cacheDirectory, selfSignedTls, sharedSelfSigned, type SelfSignedTls } from '../server/self-signed.js';
import type { TlsMaterial } from '../server/tls.js';
import { isWorker } from '../server/workers.js';
import { networkAddresses } from './banner.js';

/** Set in a worker's environment by its primary: the certificate and key it made or reused, as JSON. */
export const SHARED_CERTIFICATE_VARIABLE = 'TINY_SERVE_WORKER_CERTIFICATE';

/** A host name a certificate can carry (letters, digits, hyphens, dots): some machines' names are not. */
const DNS_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/**
 * What the certificate must name: localhost, 127.0.0.1, ::1 and the machine's name always; for each
 * endpoint, the address or name it binds, or every network address of the machine (the banner's
 * Network: lines) for an all-interfaces bind.
 */
export function certificateNames(endpoints: Endpoint[], machine = hostname()): string[] {
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  const add = (name: string): void => {
    const bare = name.split('%')[0]!.toLowerCase(); // a link-local address's zone is no part of it
    if (isIP(bare) || DNS_NAME.test(bare)) names.add(bare);
  };
  add(machine);
  for (const endpoint of endpoints) {
    if (endpoint.kind !== 'tcp') continue;
    if (ALL_INTERFACES.has(endpoint.host)) networkAddresses(endpoint.host).forEach(add);
    else add(endpoint.host);
  }
  return [...names];
}

/** The TLS material of `--ssl`: made or reused by the primary (or a lone server), received by a worker. */
export async function selfSignedForCli(endpoints: Endpoint[]): Promise<TlsMaterial | SelfSignedTls> {
  const shared = isWorker() ? process.env[SHARED_CERTIFICATE_VARIABLE] : undefined;
  if (shared !== undefined) {
    delete process.env[SHARED_CERTIFICATE_VARIABLE]; // the key stays out of anything this process starts
    const { cert, key } = JSON.parse(shared) as { cert: string; key: string };
    return sharedSelfSigned(cert, key);
  }
  return selfSignedTls(certificateNames(endpoints), cacheDirectory());
}

/** The environment a primary gives its workers so they serve its certificate (nothing for certificate files, which each reads). */
export function workerEnvironment(tls: TlsMaterial | undefined): Record<string, string> {
  if (tls?.selfSigned === undefined) return {};
  const { cert, key } = tls as SelfSignedTls;
  return { [SHARED_CERTIFICATE_VARIABLE]: JSON.stringify({ cert, key }) };
}
