// Making a self-signed certificate for `--ssl`: an ECDSA P-256 key from WebCrypto, and the certificate
// built and signed with @peculiar/x509. The only module that reaches that library: build.mjs bundles
// it apart and embeds it compressed in the CLI, evaluated only when a certificate must be made.
import './reflect-shim.js';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

/** What the certificate is for and how long. */
export interface CertificateRequest {
  /** Host names (`localhost`, the machine's name) and IP addresses (`127.0.0.1`, `::1`), each a subject alternative name. */
  names: string[];
  notBefore: Date;
  notAfter: Date;
}

/** A certificate and its private key (PKCS#8), both PEM. */
export interface GeneratedCertificate {
  cert: string;
  key: string;
}

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

// The library's names for WebCrypto's types (this project compiles without the DOM library).
type Params = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>;
type LibraryCrypto = NonNullable<Params[1]>;
type KeyPair = Params[0]['keys'];

/** A positive serial number of 16 random bytes (RFC 5280: at most 20 octets, not negative). */
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // no leading zero octet to strip, no sign bit
  return Buffer.from(bytes).toString('hex');
}

const pem = (label: string, der: ArrayBuffer): string =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;

/**
 * A server certificate that is its own issuer: no CA flag (Firefox refuses a CA certificate as a
 * site's own), a key for signatures only (ECDHE does the key exchange), for server authentication,
 * naming every host and address it will be reached at.
 */
export async function generateCertificate({ names, notBefore, notAfter }: CertificateRequest): Promise<GeneratedCertificate> {
  const crypto = webcrypto as unknown as LibraryCrypto;
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as unknown as KeyPair;
  const alternativeNames = names.map((name) => ({ type: isIP(name) ? ('ip' as const) : ('dns' as const), value: name }));
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: [{ CN: ['tiny-serve self-signed'] }, { O: ['tiny-serve'] }],
      notBefore,
      notAfter,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(alternativeNames),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
      ],
    },
    crypto,
  );
  const key = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey);
  return { cert: certificate.toString('pem').replace(/\r\n/g, '\n').trimEnd() + '\n', key: pem('PRIVATE KEY', key) };
}
