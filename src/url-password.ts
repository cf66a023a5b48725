/** `url` with its password (if any) shown as `***`, for what is printed or logged; null when it does not parse as a URL. */
export function withoutPassword(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return null;
  }
}
