// The tests' identity provider: the certified `oidc-provider` package from npm, run with the
// machine's Node.js, standing in for an agency's Microsoft Entra ID or similar. Its own
// development sign-in pages take any name and password: a name with an "@" signs in with that
// address as its verified e-mail; one starting "unverified." has its e-mail unverified.
//
// Usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// Prints "ready" once it listens.
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['harbour-tests-only'] },
  // The partnership's agencies consent for their staff, as an Entra ID administrator does for
  // an organisation's own applications: no consent page after signing in.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  async findAccount(ctx, id) {
    const email = id.startsWith('unverified.') ? id.slice('unverified.'.length) : id;
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email,
          email_verified: !id.startsWith('unverified.'),
          name: email.split('@')[0],
        };
      },
    };
  },
});
provider.proxy = false;
provider.listen(Number(port), '127.0.0.1', () => {
  console.log('ready');
});
