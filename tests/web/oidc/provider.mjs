// A local OpenID Connect provider for the end-to-end login test: panva's `oidc-provider`
// (certified OpenID provider library) on 127.0.0.1 with one confidential client.
//
// Environment: OIDC_MODULES (directory whose node_modules holds oidc-provider),
// OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI; optional OIDC_EXTRA_REDIRECT_URIS
// (space-separated further redirect URIs) and OIDC_EXTRA_CLAIMS (JSON: subject -> {claim:
// value}; released with the openid scope at the userinfo endpoint, as custom claims of many
// school identity services are). Prints "READY <issuer>" when listening.
// Login: GET /interaction/<uid> shows a form; POST it with `login=<subject>` to log in as that
// subject (any subject: BiMo must refuse the ones it does not know). Consent is granted
// automatically for the requested scopes.
import { createRequire } from "node:module";
import http from "node:http";
import path from "node:path";

const require = createRequire(path.join(process.env.OIDC_MODULES, "package.json"));
const { default: Provider } = await import(require.resolve("oidc-provider"));
const { generateKeyPair, exportJWK } = await import(require.resolve("jose"));

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), use: "sig", alg: "RS256", kid: "test-key" };

const extraRedirects = (process.env.OIDC_EXTRA_REDIRECT_URIS || "").split(" ").filter(Boolean);
const extraClaims = JSON.parse(process.env.OIDC_EXTRA_CLAIMS || "{}");
const claimNames = [...new Set(Object.values(extraClaims).flatMap((c) => Object.keys(c)))];

const server = http.createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID,
      client_secret: process.env.OIDC_CLIENT_SECRET,
      redirect_uris: [process.env.OIDC_REDIRECT_URI, ...extraRedirects],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  jwks: { keys: [jwk] },
  // PKCE is mandatory here, so the test proves the client sends an S256 challenge.
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ["test-cookie-key-0123456789"] },
  claims: { acr: null, sid: null, auth_time: null, iss: null, openid: ["sub", ...claimNames] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({ ...(extraClaims[sub] || {}), sub }),
  }),
});

async function readForm(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error("interaction mismatch");
  const { prompt, params, session, grantId } = details;
  if (prompt.name === "login") {
    if (req.method === "POST") {
      const form = await readForm(req);
      return provider.interactionFinished(req, res, { login: { accountId: form.get("login") } }, {
        mergeWithLastSubmission: false,
      });
    }
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    return res.end(
      `<form method="post" action="/interaction/${uid}"><input name="login"><button>Login</button></form>`,
    );
  }
  // consent: grant what was asked for
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  const id = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId: id } }, {
    mergeWithLastSubmission: true,
  });
}

const callback = provider.callback();
server.on("request", (req, res) => {
  const match = /^\/interaction\/([^/?]+)/.exec(req.url);
  if (match) {
    interaction(req, res, match[1]).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
    return;
  }
  callback(req, res);
});

process.stdout.write(`READY ${issuer}\n`);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
