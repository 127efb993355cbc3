/**
 * `npm run query` runs SQL a user typed (or pasted) over the archive. Once the views are loaded,
 * these DuckDB settings confine it to the archive folder: no extension installed or loaded, no
 * community extension, no file or URL outside the folder, and the configuration locked so the SQL
 * cannot undo any of it.
 */
export const queryLockdown = (folder: string): string[] => [
  "SET autoinstall_known_extensions = false",
  "SET autoload_known_extensions = false",
  "SET allow_community_extensions = false",
  `SET allowed_directories = ['${folder.replace(/'/g, "''")}/']`,
  "SET enable_external_access = false",
  "SET lock_configuration = true",
];
