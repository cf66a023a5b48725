/** A folder or file glyph drawn as SVG: emoji depend on the device's fonts, SVG looks the same everywhere. */
export function EntryIcon(props: { folder: boolean }) {
  return (
    <svg class="files-icon" viewBox="0 0 20 20" width="20" height="20" aria-hidden="true" focusable="false">
      {props.folder ? (
        <path d="M2 5.5A1.5 1.5 0 0 1 3.5 4h4l2 2h7A1.5 1.5 0 0 1 18 7.5v7a1.5 1.5 0 0 1-1.5 1.5h-13A1.5 1.5 0 0 1 2 14.5z" fill="currentColor" opacity="0.85" />
      ) : (
        <path d="M5 2.5h6.5L16 7v10.5H5zM11.5 2.5V7H16" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linejoin="round" />
      )}
    </svg>
  );
}
