/** Where the view is in the file space: Home / folder / folder, each but the last a way back up. */
import { Isolated } from "../ui/bidi.js";
import { crumbs } from "./file-paths.js";

export interface BreadcrumbsProps {
  readonly path: string;
  readonly onNavigate: (path: string) => void;
}

export function Breadcrumbs(props: BreadcrumbsProps) {
  const trail = crumbs(props.path);
  return (
    <nav aria-label="Folder path" class="files-crumbs">
      <ol>
        {trail.map((crumb, index) => (
          <li key={crumb.path}>
            {index === trail.length - 1 ? (
              <span aria-current="location">
                <Isolated text={crumb.label} />
              </span>
            ) : (
              <button type="button" class="files-link" onClick={() => props.onNavigate(crumb.path)}>
                <Isolated text={crumb.label} />
              </button>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
