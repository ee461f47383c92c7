// Reads a JSON array of {hash, password} on stdin and prints a JSON array of
// Better Auth's own verifyPassword verdicts, in order (used by tests/auth/test_crypto.py).
import { verifyPassword } from "better-auth/crypto";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const verdicts = [];
for (const { hash, password } of JSON.parse(input)) {
  verdicts.push(await verifyPassword({ hash, password }));
}
process.stdout.write(JSON.stringify(verdicts) + "\n");
