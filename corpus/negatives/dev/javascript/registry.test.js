// The checksum of this npm-shaped token is wrong on purpose: it must be rejected.
const { isNpmToken } = require("../src/registry");

test("rejects a token whose CRC32 tail does not match", () => {
  expect(isNpmToken("npm_9UMA7TClOxSWT7a8EaqOdJkHwD1oXy4DSs6f")).toBe(false);
});
