/** The package ships no types; this is the part password-policy.ts uses. */
declare module "fxa-common-password-list" {
  const list: { test(password: string): boolean };
  export default list;
}
