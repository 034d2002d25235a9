; glm-lsp analysis query. Capture vocabulary: see python.scm (def.<kind>/name/type/params/returns/
; value/iter/ctx/container/bases, import.*, access.*, call.*, ref).

(function_item
  name: (identifier) @name
  parameters: (parameters) @params
  return_type: (_)? @returns) @def.function
(function_signature_item
  name: (identifier) @name
  parameters: (parameters) @params
  return_type: (_)? @returns) @def.function
(impl_item type: (_)) @scope.class
(struct_item name: (type_identifier) @name) @def.struct
(enum_item name: (type_identifier) @name) @def.enum
(trait_item name: (type_identifier) @name) @def.interface
(type_item name: (type_identifier) @name type: (_) @type) @def.type
(field_declaration name: (field_identifier) @name type: (_) @type) @def.field
(enum_variant name: (identifier) @name) @def.constant
(const_item name: (identifier) @name type: (_) @type value: (_)? @value) @def.constant
(static_item name: (identifier) @name type: (_) @type value: (_)? @value) @def.variable

(let_declaration pattern: (identifier) @name type: (_)? @type value: (_)? @value) @def.variable
(for_expression pattern: (identifier) @name value: (_) @iter) @def.variable
(parameter pattern: (identifier) @name type: (_) @type) @def.parameter
(closure_parameters (identifier) @name @def.parameter)

(use_declaration argument: [(scoped_identifier) (identifier)] @import.module) @import
(use_declaration
  argument: (use_as_clause path: (_) @import.module alias: (identifier) @import.alias)) @import
(use_declaration
  argument: (scoped_use_list path: (_) @import.from list: (use_list (identifier) @import.name)))
  @import

(field_expression value: (_) @access.object field: (field_identifier) @access.member) @access
(scoped_identifier path: (_) @access.object name: (identifier) @access.member) @access

(call_expression function: (_) @call.callee) @call
(macro_invocation macro: (identifier) @call.callee) @call

(identifier) @ref
