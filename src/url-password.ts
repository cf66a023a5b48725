/** Query parameters drivers read a password from (pg and ioredis take `password`). */
const SECRET_PARAMETER = /pass/i;

/**
 * `url` with its password shown as `***`, in the user part and in any query parameter that
 * carries one, for what is printed or logged. A URL the WHATWG parser refuses but a driver
 * takes (PostgreSQL's `postgres://user:pw@/db?host=/run/postgresql`) is masked by pattern.
 */
export function withoutPassword(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/^([^:/]+:\/\/[^:/@]*:)[^@]*@/, "$1***@").replace(/([?&][^=&]*pass[^=&]*=)[^&]*/gi, "$1***");
  }
  if (parsed.password) parsed.password = "***";
  for (const name of [...parsed.searchParams.keys()]) if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, "***");
  return parsed.toString();
}
