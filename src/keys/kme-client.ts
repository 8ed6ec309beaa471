/** A minimal ETSI GS QKD 014 client over HTTPS with a client certificate (node:https), for the demonstration and operators' scripts. */
import { request } from 'node:https';
import type { ErrorObject, KeyContainer, Status } from './etsi014.ts';

export interface KmeClientOptions {
  host: string;
  port: number;
  /** PEM: the CA that signed the KME's certificate, and this SAE's certificate and key. */
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
  timeoutMs?: number;
}

/** A refusal of the KME: its status code and Error object. */
export class KmeRequestError extends Error {
  override name = 'KmeRequestError';
  constructor(
    readonly status: number,
    readonly body: ErrorObject | string,
  ) {
    super(`KME answered ${status}: ${typeof body === 'string' ? body : body.message}`);
  }
}

export class KmeClient {
  constructor(private readonly options: KmeClientOptions) {}

  status(otherSaeId: string): Promise<Status> {
    return this.call('GET', `/api/v1/keys/${encodeURIComponent(otherSaeId)}/status`);
  }

  encKeys(slaveSaeId: string, number: number, size?: number): Promise<KeyContainer> {
    return this.call('POST', `/api/v1/keys/${encodeURIComponent(slaveSaeId)}/enc_keys`, size === undefined ? { number } : { number, size });
  }

  decKeys(masterSaeId: string, keyIds: readonly string[]): Promise<KeyContainer> {
    return this.call('POST', `/api/v1/keys/${encodeURIComponent(masterSaeId)}/dec_keys`, { key_IDs: keyIds.map((key_ID) => ({ key_ID })) });
  }

  private call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const { host, port, ca, cert, key } = this.options;
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host,
          port,
          method,
          path,
          ca,
          cert,
          key,
          agent: false,
          timeout: timeoutMs,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
            if (res.statusCode === 200) resolve(parsed as T);
            else reject(new KmeRequestError(res.statusCode ?? 0, parsed as ErrorObject | string));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer from the KME at ${host}:${port} within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
