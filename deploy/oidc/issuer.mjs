// The local OpenID Connect issuer: node-oidc-provider, configured from the environment.
// For tests and `make up` only: its sign-in form takes any password for a configured user.
//
//   OIDC_PORT            port on 127.0.0.1 (0: any free port)
//   OIDC_ISSUER          issuer URL (default http://127.0.0.1:<port>)
//   OIDC_AUDIENCE        the audience of access tokens, Beacon's API (default "beacon")
//   OIDC_USERS           JSON list of {"sub", "email", "name"}
//   OIDC_REDIRECT_URIS   JSON list of the public client's redirect URIs
//   OIDC_KEYS_FILE       JSON file of private JWKs; the first one signs (rotation: restart with
//                        a new first key, keeping the old ones listed while tokens live)
//   OIDC_ACCESS_TOKEN_TTL  seconds (default 3600)
//
// Once listening it prints one JSON line: {"issuer": ..., "port": ...}.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const env = process.env;
const users = new Map(JSON.parse(env.OIDC_USERS ?? '[]').map((user) => [user.sub, user]));
const redirectUris = JSON.parse(env.OIDC_REDIRECT_URIS ?? '["http://127.0.0.1/callback"]');
const audience = env.OIDC_AUDIENCE ?? 'beacon';
const accessTokenTTL = Number(env.OIDC_ACCESS_TOKEN_TTL ?? 3600);
const keys = env.OIDC_KEYS_FILE ? JSON.parse(readFileSync(env.OIDC_KEYS_FILE, 'utf8')) : undefined;

function configuration(issuer) {
  return {
    clients: [
      {
        client_id: 'beacon-local',
        token_endpoint_auth_method: 'none',
        redirect_uris: redirectUris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    ...(keys ? { jwks: { keys } } : {}),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    async findAccount(ctx, sub) {
      const user = users.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email: user.email, email_verified: true, name: user.name };
        },
      };
    },
    // Resource servers (Beacon) learn who signed in from the access token alone.
    async extraTokenClaims(ctx, token) {
      const user = users.get(token.accountId);
      return user ? { email: user.email, name: user.name } : undefined;
    },
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => `urn:beacon:${audience}`,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'openid email profile',
          audience,
          accessTokenTTL,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: keys?.[0]?.alg ?? 'RS256', kid: keys?.[0]?.kid } },
        }),
      },
    },
    ttl: { AccessToken: accessTokenTTL },
  };
}

const port = Number(env.OIDC_PORT ?? 0);
const server = (await import('node:http')).createServer();
server.listen(port, '127.0.0.1', () => {
  const bound = server.address().port;
  const issuer = env.OIDC_ISSUER ?? `http://127.0.0.1:${bound}`;
  const provider = new Provider(issuer, configuration(issuer));
  provider.proxy = true;
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer, port: bound })}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
