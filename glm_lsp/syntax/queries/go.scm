; glm-lsp analysis query. Capture vocabulary: see python.scm (def.<kind>/name/type/params/returns/
; value/iter/ctx/container/bases, import.*, access.*, call.*, ref).

(function_declaration
  name: (identifier) @name
  parameters: (parameter_list) @params
  result: (_)? @returns) @def.function
(method_declaration
  receiver: (parameter_list (parameter_declaration type: (_) @container))
  name: (field_identifier) @name
  parameters: (parameter_list) @params
  result: (_)? @returns) @def.function
(method_elem
  name: (field_identifier) @name
  parameters: (parameter_list) @params
  result: (_)? @returns) @def.function
(type_spec name: (type_identifier) @name type: (struct_type)) @def.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @def.interface
(type_spec name: (type_identifier) @name type: [(type_identifier) (qualified_type) (generic_type)
  (slice_type) (map_type) (pointer_type) (function_type) (channel_type) (array_type)] @type) @def.type
(field_declaration name: (field_identifier) @name type: (_) @type) @def.field

(parameter_declaration name: (identifier) @name type: (_) @type) @def.parameter
(variadic_parameter_declaration name: (identifier) @name type: (_) @type) @def.parameter

(short_var_declaration
  left: (expression_list . (identifier) @name .)
  right: (expression_list . (_) @value .)) @def.variable
(short_var_declaration left: (expression_list (identifier) @name (identifier))) @def.variable
(short_var_declaration left: (expression_list (identifier) (identifier) @name)) @def.variable
(var_spec name: (identifier) @name type: (_)? @type value: (expression_list . (_) @value .)?)
  @def.variable
(const_spec name: (identifier) @name type: (_)? @type value: (expression_list . (_) @value .)?)
  @def.constant
(range_clause left: (expression_list (identifier) @name)) @def.variable

(import_spec name: (package_identifier)? @import.alias path: (_) @import.module) @import

(selector_expression operand: (_) @access.object field: (field_identifier) @access.member) @access

(call_expression function: (_) @call.callee) @call

(identifier) @ref
