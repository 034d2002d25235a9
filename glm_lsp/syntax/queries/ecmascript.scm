; Shared by javascript.scm and typescript.scm (and through it tsx.scm): imports, member
; accesses, calls and references read the same in both grammars.

(import_statement
  (import_clause (identifier) @import.alias)
  source: (string (string_fragment) @import.module)) @import
(import_statement
  (import_clause (namespace_import (identifier) @import.alias))
  source: (string (string_fragment) @import.module)) @import
(import_statement
  (import_clause
    (named_imports (import_specifier name: (identifier) @import.name alias: (identifier)? @import.alias)))
  source: (string (string_fragment) @import.from)) @import

(member_expression object: (_) @access.object property: (property_identifier) @access.member) @access

(call_expression function: (_) @call.callee) @call
(new_expression constructor: (_) @call.callee) @call

(identifier) @ref
