/**
 * Stands in for `relay-runtime`'s `graphql` tag: relay-compiler only reads the tagged templates of
 * these files (they are never run), and the tests need no Relay runtime.
 */
export function graphql(strings: TemplateStringsArray): string {
  return strings.join('');
}
