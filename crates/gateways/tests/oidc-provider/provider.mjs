// A real OpenID Connect provider for sscard's tests: panva/oidc-provider, configured from the environment.
// Its login page asks only for the test account's subject (no password): the test plays the person.
//
//   PORT           port to listen on (127.0.0.1)
//   CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS (comma-separated)
//   ACCOUNTS       JSON: { "<sub>": { "name": "…", "id_number": "…" } | { "name": "…", "uscc": "…" } }
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const accounts = JSON.parse(process.env.ACCOUNTS || '{}');

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: process.env.REDIRECT_URIS.split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], profile: ['name', 'id_number', 'uscc'] },
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['sscard-test-only'] },
  findAccount: async (ctx, sub) => accounts[sub] && {
    accountId: sub,
    claims: async () => ({ sub, ...accounts[sub] }),
  },
});

async function form(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params } = details;
  let result;
  if (prompt.name === 'login') {
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>Test IdP</title><form method="post" action="/interaction/${details.uid}/login">
        <label>Subject <input name="sub" id="sub"></label><button id="idp-login">Log in</button></form>`;
      return;
    }
    const sub = (await form(ctx.req)).get('sub');
    if (!accounts[sub]) {
      ctx.status = 400;
      ctx.body = 'unknown subject';
      return;
    }
    result = { login: { accountId: sub } };
  } else if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(prompt.details.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  } else {
    ctx.status = 400;
    ctx.body = `unexpected prompt ${prompt.name}`;
    return;
  }
  const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
  ctx.redirect(redirectTo);
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${port}`);
});
