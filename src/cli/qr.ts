// --qr: the first Network URL as a QR code under the banner, for a phone's camera; or one line saying
// why there is none (the server is not exposed, or the output is no terminal a camera could read).
import { qrCode } from './qr-code.js';
import { firstNetworkUrl } from './banner.js';
import type { Settings } from './settings.js';

/** What --qr prints: the code's lines and its caption, or a note saying why there is no code. */
export type QrOutput = { code: string[]; url: string } | { note: string };

export async function qrOutput(settings: Settings, ports: number[], addresses: string[], terminal: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Promise<QrOutput> {
  const { exposed, url } = firstNetworkUrl(settings, ports, addresses);
  if (!exposed) return { note: '--qr: no QR code, the server is not exposed to the network (add --host)' };
  if (url === undefined) return { note: '--qr: no QR code, this machine has no network address to show' };
  if (terminal.isTTY !== true) return { note: '--qr: no QR code, the output is not a terminal' };
  return { code: await qrCode(url, !env.NO_COLOR), url };
}
