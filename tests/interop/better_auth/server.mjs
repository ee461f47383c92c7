// A real Better Auth server on the service's database, for the interop tests.
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/inbox_test \
//   BETTER_AUTH_SECRET=... BETTER_AUTH_URL=http://127.0.0.1:3005 PORT=3005 node server.mjs
//
// Serves Better Auth at /api/auth/* and prints "READY <port>" once listening.
// It never creates or alters tables: the service's Alembic migration owns the
// schema (user, session, account, verification with Better Auth's columns).
// Password-reset mails are not sent; each one is printed as a line
//   RESET_PASSWORD {"email": ..., "url": ..., "token": ...}
// so a test can read the token from the server's stdout.
import http from "node:http";
import { betterAuth } from "better-auth";
import { toNodeHandler } from "better-auth/node";
import pg from "pg";

for (const name of ["DATABASE_URL", "BETTER_AUTH_SECRET", "BETTER_AUTH_URL", "PORT"]) {
  if (!process.env[name]) {
    console.error(`${name} is not set`);
    process.exit(2);
  }
}

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });

export const auth = betterAuth({
  database: pool,
  secret: process.env.BETTER_AUTH_SECRET,
  baseURL: process.env.BETTER_AUTH_URL,
  emailAndPassword: {
    enabled: true,
    sendResetPassword: async ({ user, url, token }) => {
      console.log(`RESET_PASSWORD ${JSON.stringify({ email: user.email, url, token })}`);
    },
  },
  // Deterministic tests: no rate limiting (off outside NODE_ENV=production
  // anyway) and no telemetry calls.
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
});

const authHandler = toNodeHandler(auth);

const server = http.createServer((req, res) => {
  if (req.url === "/api/auth" || req.url.startsWith("/api/auth/") || req.url.startsWith("/api/auth?")) {
    authHandler(req, res);
    return;
  }
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ message: "Not Found" }));
});

const shutdown = () => {
  server.close(() => pool.end().then(() => process.exit(0)));
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

server.listen(Number(process.env.PORT), process.env.HOST || "127.0.0.1", () => {
  console.log(`READY ${server.address().port}`);
});
