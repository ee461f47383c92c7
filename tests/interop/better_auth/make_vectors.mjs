// Test vectors produced by the real Better Auth (the version pinned in package.json),
// checked against inbox/auth/crypto.py by tests/auth/test_crypto.py.
//
// Regenerate with:  npm ci && node make_vectors.mjs > vectors.json
//
// Password hashes are salted at random; everything else is fixed, so a
// regeneration changes only the hashes (and the versions, if package.json changed).
import { readFileSync } from "node:fs";
import { hashPassword, verifyPassword } from "better-auth/crypto";
import { getCookies } from "better-auth/cookies";
import { createInternalContext, serializeSignedCookie } from "better-call";

const packageVersion = (name) =>
  JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), "utf8")).version;
const versions = {
  "better-auth": packageVersion("better-auth"),
  "better-call": packageVersion("better-call"),
  "@better-auth/utils": packageVersion("@better-auth/utils"),
  node: process.version,
};

// Each password is hashed by Better Auth; every candidate is then checked with
// Better Auth's verifyPassword and its verdict recorded.
const passwords = [
  { password: "password123", candidates: ["password123", "Password123", "password1234", ""] },
  // NFKC turns the "ﬁ" ligature (U+FB01) into "fi".
  { password: "\uFB01nancial-secret", candidates: ["financial-secret", "\uFB01nancial-secret", "fnancial-secret"] },
  // Full-width letters and digits: NFKC maps them to ASCII.
  { password: "\uFF30\uFF41\uFF53\uFF53\uFF57\uFF4F\uFF52\uFF44\uFF11\uFF12\uFF13", candidates: ["Password123", "password123"] },
  // Decomposed "é" (e + U+0301): NFKC composes it to U+00E9.
  { password: "caf\u0065\u0301-au-lait", candidates: ["caf\u00E9-au-lait", "cafe-au-lait"] },
  // 128 characters, the default maximum.
  { password: "Long-pass-".repeat(12) + "\u00FCber-\u00DF\u20AC!", candidates: ["Long-pass-".repeat(12) + "\u00FCber-\u00DF\u20AC?"] },
  // A character outside the BMP (a surrogate pair in JavaScript).
  { password: "emoji-\u{1F600}-pw", candidates: ["emoji-\u{1F600}-pw", "emoji--pw"] },
  // A lone surrogate: JavaScript encodes it to UTF-8 as U+FFFD.
  { password: "lone-\uD800-surrogate", candidates: ["lone-\uFFFD-surrogate", "lone--surrogate"] },
];

const passwordVectors = [];
for (const { password, candidates } of passwords) {
  const hash = await hashPassword(password);
  const checks = [];
  for (const candidate of [password, ...candidates.filter((c) => c !== password)]) {
    checks.push({ password: candidate, valid: await verifyPassword({ hash, password: candidate }) });
  }
  passwordVectors.push({ password, hash, checks });
}

// The cookie value and Set-Cookie header exactly as setSessionCookie writes them:
// better-call's serializeSignedCookie with the session cookie's attributes and
// Max-Age = session.expiresIn (7 days by default).
const SEVEN_DAYS = 60 * 60 * 24 * 7;
const cookieValue = (setCookie) => setCookie.slice(setCookie.indexOf("=") + 1).split(";")[0];

const signed = [
  { token: "XaCH2dCqFl1rKS4ELe8NXL9ZmxdElEFe", secret: "better-auth-secret-123456789012345" },
  { token: "pL4t0XHk0qkQ3rLkfMyu2VBnm3wYM1lN", secret: "another secret, with spaces and ünïcödé" },
  { token: "a", secret: "s" },
  // Not a Better Auth token, but it pins which characters are URL-encoded.
  { token: "odd token+/=~!*'()&;,é", secret: "better-auth-secret-123456789012345" },
];
const signedVectors = [];
for (const { token, secret } of signed) {
  signedVectors.push({ token, secret, value: cookieValue(await serializeSignedCookie("x", token, secret)) });
}

const setCookieVectors = [];
for (const baseURL of ["http://localhost:3000", "https://app.example.com"]) {
  const secret = "better-auth-secret-123456789012345";
  const token = "XaCH2dCqFl1rKS4ELe8NXL9ZmxdElEFe";
  const { sessionToken } = getCookies({ baseURL, secret });
  const header = await serializeSignedCookie(sessionToken.name, token, secret, {
    ...sessionToken.attributes,
    maxAge: SEVEN_DAYS,
  });
  setCookieVectors.push({
    baseURL,
    secret,
    token,
    name: sessionToken.name,
    attributes: sessionToken.attributes,
    header,
  });
}

// How better-call's getSignedCookie (what get-session uses) reads a Cookie header:
// the token, or null (malformed/absent) or false (bad signature).
async function readSignedCookie(cookieHeader, secret) {
  const ctx = await createInternalContext(
    { headers: new Headers({ cookie: cookieHeader }) },
    { options: { method: "GET" }, path: "/get-session" },
  );
  return await ctx.getSignedCookie("better-auth.session_token", secret);
}

const secret = "better-auth-secret-123456789012345";
const token = "XaCH2dCqFl1rKS4ELe8NXL9ZmxdElEFe";
const encoded = cookieValue(await serializeSignedCookie("x", token, secret));
const raw = decodeURIComponent(encoded);
const flipLast = (s) => s.slice(0, -2) + (s.at(-2) === "A" ? "B" : "A") + s.at(-1);
const readCases = [
  { name: "url-encoded", value: encoded, secret },
  { name: "raw", value: raw, secret },
  { name: "other secret", value: encoded, secret: "not-the-secret" },
  { name: "tampered token", value: "Y" + raw.slice(1), secret },
  { name: "tampered signature", value: flipLast(raw), secret },
  { name: "no signature", value: token, secret },
  { name: "empty token", value: raw.slice(raw.lastIndexOf(".")), secret },
  { name: "truncated signature", value: raw.slice(0, -2) + "=", secret },
  { name: "signature without padding", value: raw.slice(0, -1), secret },
  { name: "token with a dot", value: decodeURIComponent(cookieValue(await serializeSignedCookie("x", "a.b", secret))), secret },
  { name: "partly encoded", value: raw.replace("=", "%3D"), secret },
];
const readVectors = [];
for (const { name, value, secret: s } of readCases) {
  const result = await readSignedCookie(`better-auth.session_token=${value}`, s);
  readVectors.push({ name, value, secret: s, token: typeof result === "string" ? result : null, result });
}

process.stdout.write(
  JSON.stringify(
    {
      versions,
      scrypt: { N: 16384, r: 16, p: 1, dkLen: 64 },
      passwords: passwordVectors,
      signed_cookies: signedVectors,
      set_cookie: setCookieVectors,
      read_signed_cookie: readVectors,
    },
    null,
    2,
  ) + "\n",
);
