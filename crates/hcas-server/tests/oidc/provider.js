// A real OpenID Connect provider (panva/oidc-provider) for tests/auth_oidc.rs.
//
//   node provider.js <port> <key-dir> <generation>
//
// Listens on 127.0.0.1:<port> with issuer http://127.0.0.1:<port>. Its RSA
// signing key of generation N is kept in <key-dir>/key-N.json (created on
// first use, kid "gen-N"); the JWKS publishes generation N only, so starting it
// again with N+1 is a key rotation. One client, `hcas-test` / `hcas-test-secret`,
// may use the client_credentials grant; access tokens for the resource
// `urn:hcas` are JWTs (RS256, aud `hcas`) carrying the claims org `acme`,
// roles `doctor` and `admin`, and purpose `TREAT`.
// Prints "ready" on stdout once it listens.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider from 'oidc-provider';

const [port, keyDir, generation] = process.argv.slice(2);
if (!port || !keyDir || !generation) {
  console.error('usage: node provider.js <port> <key-dir> <generation>');
  process.exit(2);
}

const keyFile = join(keyDir, `key-${generation}.json`);
if (!existsSync(keyFile)) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `gen-${generation}`, alg: 'RS256', use: 'sig' };
  writeFileSync(keyFile, JSON.stringify(jwk), { mode: 0o600 });
}
const key = JSON.parse(readFileSync(keyFile, 'utf8'));

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  jwks: { keys: [key] },
  clients: [
    {
      client_id: 'hcas-test',
      client_secret: 'hcas-test-secret',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => 'urn:hcas',
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== 'urn:hcas') throw new Error('unknown resource');
        return {
          scope: 'api',
          audience: 'hcas',
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  extraTokenClaims: () => ({ org: 'acme', roles: ['doctor', 'admin'], purpose: 'TREAT' }),
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log('ready');
});
