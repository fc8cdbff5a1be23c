/** A JSON Schema (2020-12), as OpenAPI 3.1 and Fastify route schemas embed it. */
export type JsonSchema = { readonly [keyword: string]: unknown };
