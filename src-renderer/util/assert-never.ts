/** Exhaustiveness check for switches over unions: adding a member without handling it fails the typecheck. */
export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
}
