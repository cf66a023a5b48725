/**
 * Paths of the file space as the API takes them: absolute, `/`-separated, rooted at the account's home.
 * The server's jail is the authority; these helpers only build paths and catch obvious typos early.
 */

export function joinPath(folder: string, name: string): string {
  return folder === "/" ? `/${name}` : `${folder}/${name}`;
}

export interface Crumb {
  /** What to show: "Home" for the root, else the folder's name. */
  readonly label: string;
  readonly path: string;
}

/** The folders from the root down to `path`, for the breadcrumb. */
export function crumbs(path: string): Crumb[] {
  const result: Crumb[] = [{ label: "Home", path: "/" }];
  let current = "";
  for (const part of path.split("/").filter((segment) => segment !== "")) {
    current += `/${part}`;
    result.push({ label: part, path: current });
  }
  return result;
}

// Control characters are refused by the server's jail too; saying so before the request reads better.
const CONTROL = /[\u0000-\u001f\u007f]/u;

/** Why `name` cannot name a file or folder, or null when it can. */
export function nameProblem(name: string): string | null {
  if (name.trim() === "") return "Give a name.";
  if (name.includes("/")) return "A name cannot contain “/”.";
  if (name === "." || name === "..") return "“.” and “..” are not names.";
  if (CONTROL.test(name)) return "A name cannot contain control characters.";
  return null;
}
