/* Keeps each library non-empty while its directory is being filled. */
typedef int rg_keep_translation_unit_nonempty;
