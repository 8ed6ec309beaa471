/**
 * The JSON objects of ETSI GS QKD 014 V1.1.1 (§6), as JSON schemas for
 * fastify's validation and TypeScript types: Status (§6.1), Key request
 * (§6.2), Key container (§6.3), Key IDs (§6.4), Error (§6.5).
 */

export interface Status {
  source_KME_ID: string;
  target_KME_ID: string;
  master_SAE_ID: string;
  slave_SAE_ID: string;
  key_size: number;
  stored_key_count: number;
  max_key_count: number;
  max_key_per_request: number;
  max_key_size: number;
  min_key_size: number;
  max_SAE_ID_count: number;
}

export interface KeyRequest {
  number?: number;
  size?: number;
  additional_slave_SAE_IDs?: string[];
  extension_mandatory?: object[];
  extension_optional?: object[];
}

export interface KeyContainer {
  keys: { key_ID: string; key: string }[];
}

export interface KeyIds {
  key_IDs: { key_ID: string; key_ID_extension?: object }[];
  key_IDs_extension?: object;
}

export interface ErrorObject {
  message: string;
  details?: object[];
}

const positiveInteger = { type: 'integer', minimum: 1 } as const;
const extensionList = { type: 'array', items: { type: 'object' } } as const;

export const saeIdParams = (name: string) =>
  ({ type: 'object', required: [name], properties: { [name]: { type: 'string', minLength: 1 } } }) as const;

/** GET enc_keys: `number` and `size` in the query (§5.2). */
export const encKeysQuery = {
  type: 'object',
  properties: { number: positiveInteger, size: positiveInteger },
} as const;

/** POST enc_keys: the Key request object (§6.2). */
export const keyRequestSchema = {
  type: 'object',
  properties: {
    number: positiveInteger,
    size: positiveInteger,
    additional_slave_SAE_IDs: { type: 'array', items: { type: 'string' } },
    extension_mandatory: extensionList,
    extension_optional: extensionList,
  },
} as const;

/** GET dec_keys: one `key_ID` in the query (§5.3). */
export const decKeysQuery = {
  type: 'object',
  required: ['key_ID'],
  properties: { key_ID: { type: 'string', minLength: 1 } },
} as const;

/** POST dec_keys: the Key IDs object (§6.4). */
export const keyIdsSchema = (maxItems: number) =>
  ({
    type: 'object',
    required: ['key_IDs'],
    properties: {
      key_IDs: {
        type: 'array',
        minItems: 1,
        maxItems,
        items: { type: 'object', required: ['key_ID'], properties: { key_ID: { type: 'string', minLength: 1 }, key_ID_extension: { type: 'object' } } },
      },
      key_IDs_extension: { type: 'object' },
    },
  }) as const;
