/**
 * The key delivery API of ETSI GS QKD 014 V1.1.1 over HTTPS with mutual TLS,
 * served by fastify: routing, JSON-schema validation of queries and bodies
 * (ajv), JSON replies. Every request first needs a client certificate signed
 * by the configured CA and mapped to an SAE ID (else 401, before its body is
 * read). Keys go one way: Alice's KME serves the master SAE (`enc_keys`),
 * Bob's the slave SAE (`dec_keys`) with the IDs the master got; both serve
 * `status`. Status codes are the standard's: 200, 400 (bad request), 401
 * (unauthorized), 503 (server side, e.g. not enough keys); 404 for a path
 * outside the API.
 */
import type { TLSSocket } from 'node:tls';
import Fastify, { LogController, type FastifyError } from 'fastify';
import type { Logger } from 'pino';
import {
  decKeysQuery,
  encKeysQuery,
  keyIdsSchema,
  keyRequestSchema,
  saeIdParams,
  type ErrorObject,
  type KeyContainer,
  type KeyIds,
  type KeyRequest,
  type Status,
} from './etsi014.ts';
import { saeIdentifier, type SaeCertificate } from './sae-identity.ts';
import { KeyStoreError, type KeyStore, type StoredKey } from './store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The calling SAE, from its client certificate. */
    sae: string | null;
    /** Keys handed out by this request. */
    delivered: number;
  }
}

/** Alice's KME serves the master SAE, Bob's the slave SAE. */
export type KmeRole = 'master' | 'slave';

export const DEFAULT_MAX_KEYS_PER_REQUEST = 128;

export interface KmeServerOptions {
  role: KmeRole;
  store: KeyStore;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM: this KME's certificate and key, and the CA that signs the SAEs' certificates. */
  tls: { cert: string | Buffer; key: string | Buffer; ca: string | Buffer };
  kmeId: string;
  peerKmeId: string;
  masterSaeId: string;
  slaveSaeId: string;
  /** Which certificate is which SAE. */
  saes: readonly SaeCertificate[];
  maxKeysPerRequest?: number;
  log: Logger;
}

/** An answer of the standard: its status code and Error object. */
class ApiError extends Error {
  constructor(
    readonly statusCode: 400 | 401 | 503,
    message: string,
    readonly details?: object[],
  ) {
    super(message);
  }
}

const errorBody = (message: string, details?: object[]): ErrorObject => (details ? { message, details } : { message });

export class KmeServer {
  private constructor(
    private readonly app: ReturnType<typeof buildApp>,
    readonly port: number,
  ) {}

  static async start(options: KmeServerOptions): Promise<KmeServer> {
    const app = buildApp(options);
    await app.listen({ host: options.host, port: options.port });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    options.log.info({ host: options.host, port, role: options.role, kme: options.kmeId }, 'ETSI GS QKD 014 key delivery API listening (mutual TLS)');
    return new KmeServer(app, port);
  }

  async close(): Promise<void> {
    await this.app.close();
  }
}

function buildApp(options: KmeServerOptions) {
  const { store, role } = options;
  const log = options.log.child({ component: 'kme' });
  const maxKeysPerRequest = options.maxKeysPerRequest ?? DEFAULT_MAX_KEYS_PER_REQUEST;
  const keySize = store.blockBits;
  const localSae = role === 'master' ? options.masterSaeId : options.slaveSaeId;
  const peerSae = role === 'master' ? options.slaveSaeId : options.masterSaeId;
  const identify = saeIdentifier(options.saes);

  const app = Fastify({
    https: { cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
    loggerInstance: log,
    // One line per request comes from the onResponse hook below, with the SAE and the key count (never a key).
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  app.decorateRequest('sae', null);
  app.decorateRequest('delivered', 0);

  app.addHook('onRequest', async (request) => {
    const identity = identify(request.raw.socket as TLSSocket);
    if (!identity.ok) throw new ApiError(401, identity.message);
    request.sae = identity.saeId;
  });
  app.addHook('onResponse', async (request, reply) => {
    const line = { sae: request.sae, method: request.method, route: request.routeOptions.url ?? request.url.split('?')[0], status: reply.statusCode, keys: request.delivered };
    // An internal error is logged at error level by the error handler; a refusal (503 too: not enough keys) is the SAE's business.
    if (reply.statusCode >= 400) log.warn(line, 'KME request refused');
    else log.info(line, 'KME request served');
  });

  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.statusCode).send(errorBody(error.message, error.details));
    if ('validation' in error && error.validation) {
      const details = error.validation.map((v) => ({ parameter: `${error.validationContext ?? ''}${v.instancePath}`, message: v.message ?? 'invalid' }));
      return reply.code(400).send(errorBody(`bad request: ${error.message}`, details));
    }
    // Malformed JSON, a wrong content type, a body too large: the standard's 400.
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return reply.code(400).send(errorBody(`bad request: ${error.message}`));
    log.error({ err: error.message, method: request.method, route: request.routeOptions.url }, 'KME internal error');
    return reply.code(503).send(errorBody('the KME could not serve the request'));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(`no such resource: ${request.method} ${request.url.split('?')[0]}`)));

  /** The caller must be this KME's SAE, asking about the SAE it shares keys with. */
  const checkPair = (caller: string | null, other: string) => {
    if (caller !== localSae) throw new ApiError(401, `SAE "${caller}" is not served by this KME (it serves "${localSae}")`);
    if (other !== peerSae) throw new ApiError(401, `SAE "${caller}" shares no keys with SAE "${other}" through this KME (only with "${peerSae}")`);
  };
  const container = (keys: StoredKey[]): KeyContainer => ({ keys: keys.map((k) => ({ key_ID: k.keyId, key: k.key.toString('base64') })) });

  const status = (): Status => ({
    source_KME_ID: options.kmeId,
    target_KME_ID: options.peerKmeId,
    master_SAE_ID: options.masterSaeId,
    slave_SAE_ID: options.slaveSaeId,
    key_size: keySize,
    stored_key_count: store.count(keySize),
    max_key_count: store.maxKeyCount,
    max_key_per_request: maxKeysPerRequest,
    max_key_size: keySize,
    min_key_size: keySize,
    max_SAE_ID_count: 0,
  });

  const encKeys = (caller: string | null, slave: string, request: KeyRequest): KeyContainer => {
    checkPair(caller, slave);
    if (role !== 'master') throw new ApiError(400, `this KME serves the slave SAE: enc_keys is served by the master SAE's KME ("${options.peerKmeId}")`);
    const number = request.number ?? 1;
    const size = request.size ?? keySize;
    if (request.additional_slave_SAE_IDs?.length) throw new ApiError(400, 'additional_slave_SAE_IDs is not supported (max_SAE_ID_count is 0)');
    if (request.extension_mandatory?.length) {
      throw new ApiError(400, 'mandatory extensions are not supported', request.extension_mandatory.map((e) => ({ extension: Object.keys(e).join(','), message: 'not supported' })));
    }
    if (size % 8 !== 0) throw new ApiError(400, `size must be a multiple of 8 bits, got ${size}`);
    if (size > keySize) throw new ApiError(400, `size ${size} is above max_key_size (${keySize} bits)`);
    if (size < keySize) throw new ApiError(400, `size ${size} is below min_key_size (${keySize} bits)`);
    if (number > maxKeysPerRequest) throw new ApiError(400, `number ${number} is above max_key_per_request (${maxKeysPerRequest})`);
    return container(take(() => store.takeOldest(number, size)));
  };

  const decKeys = (caller: string | null, master: string, keyIds: string[]): KeyContainer => {
    checkPair(caller, master);
    if (role !== 'slave') throw new ApiError(400, `this KME serves the master SAE: dec_keys is served by the slave SAE's KME ("${options.peerKmeId}")`);
    if (keyIds.length > maxKeysPerRequest) throw new ApiError(400, `${keyIds.length} key IDs is above max_key_per_request (${maxKeysPerRequest})`);
    return container(take(() => store.takeByIds(keyIds)));
  };

  /** The store's refusals as the standard's answers; nothing was taken. */
  const take = (run: () => StoredKey[]): StoredKey[] => {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof KeyStoreError)) throw error;
      if (error.kind === 'not-enough-keys') throw new ApiError(503, `not enough keys: ${error.message}`);
      throw new ApiError(400, error.message, error.keyIds.map((id) => ({ key_ID: id, message: 'not in store' })));
    }
  };

  const deliver = <T extends { delivered: number }>(request: T, result: KeyContainer) => {
    request.delivered = result.keys.length;
    return result;
  };

  type SlaveParams = { slave_SAE_ID: string };
  type MasterParams = { master_SAE_ID: string };

  app.get<{ Params: SlaveParams }>('/api/v1/keys/:slave_SAE_ID/status', { schema: { params: saeIdParams('slave_SAE_ID') } }, async (request) => {
    checkPair(request.sae, request.params.slave_SAE_ID);
    return status();
  });
  app.get<{ Params: SlaveParams; Querystring: KeyRequest }>(
    '/api/v1/keys/:slave_SAE_ID/enc_keys',
    { schema: { params: saeIdParams('slave_SAE_ID'), querystring: encKeysQuery } },
    async (request) => deliver(request, encKeys(request.sae, request.params.slave_SAE_ID, request.query)),
  );
  app.post<{ Params: SlaveParams; Body: KeyRequest }>(
    '/api/v1/keys/:slave_SAE_ID/enc_keys',
    { schema: { params: saeIdParams('slave_SAE_ID'), body: keyRequestSchema } },
    async (request) => deliver(request, encKeys(request.sae, request.params.slave_SAE_ID, request.body ?? {})),
  );
  app.get<{ Params: MasterParams; Querystring: { key_ID: string } }>(
    '/api/v1/keys/:master_SAE_ID/dec_keys',
    { schema: { params: saeIdParams('master_SAE_ID'), querystring: decKeysQuery } },
    async (request) => deliver(request, decKeys(request.sae, request.params.master_SAE_ID, [request.query.key_ID])),
  );
  app.post<{ Params: MasterParams; Body: KeyIds }>(
    '/api/v1/keys/:master_SAE_ID/dec_keys',
    { schema: { params: saeIdParams('master_SAE_ID'), body: keyIdsSchema(maxKeysPerRequest) } },
    async (request) => deliver(request, decKeys(request.sae, request.params.master_SAE_ID, request.body.key_IDs.map((k) => k.key_ID))),
  );
  return app;
}
