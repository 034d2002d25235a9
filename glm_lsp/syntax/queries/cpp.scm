; glm-lsp analysis query. Capture vocabulary: see python.scm (def.<kind>/name/type/params/returns/
; value/iter/ctx/container/bases, import.*, access.*, call.*, ref).

(struct_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(union_specifier name: (type_identifier) @name body: (field_declaration_list)) @def.struct
(enum_specifier name: (type_identifier) @name body: (enumerator_list)) @def.enum
(enumerator name: (identifier) @name) @def.constant
(type_definition type: (_) @type declarator: (type_identifier) @name) @def.type
(preproc_def name: (identifier) @name) @def.constant
(preproc_function_def name: (identifier) @name parameters: (preproc_params) @params) @def.function

(function_definition
  type: (_) @returns
  declarator: [
    (function_declarator declarator: (identifier) @name parameters: (parameter_list) @params)
    (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name parameters: (parameter_list) @params))
  ]) @def.function
(declaration
  type: (_) @returns
  declarator: [
    (function_declarator declarator: (identifier) @name parameters: (parameter_list) @params)
    (pointer_declarator
      declarator: (function_declarator declarator: (identifier) @name parameters: (parameter_list) @params))
  ]) @def.function

(field_declaration
  type: (_) @type
  declarator: [
    (field_identifier) @name
    (pointer_declarator declarator: (field_identifier) @name)
    (pointer_declarator declarator: (pointer_declarator declarator: (field_identifier) @name))
    (array_declarator declarator: (field_identifier) @name)
  ]) @def.field

(declaration
  type: (_) @type
  declarator: [
    (identifier) @name
    (pointer_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (pointer_declarator declarator: (identifier) @name))
    (array_declarator declarator: (identifier) @name)
    (init_declarator declarator: (identifier) @name value: (_) @value)
    (init_declarator declarator: (pointer_declarator declarator: (identifier) @name) value: (_) @value)
    (init_declarator
      declarator: (pointer_declarator declarator: (pointer_declarator declarator: (identifier) @name))
      value: (_) @value)
  ]) @def.variable

(parameter_declaration
  type: (_) @type
  declarator: [
    (identifier) @name
    (pointer_declarator declarator: (identifier) @name)
    (pointer_declarator declarator: (pointer_declarator declarator: (identifier) @name))
  ]) @def.parameter

(preproc_include path: (_) @import.module) @import

(field_expression argument: (_) @access.object field: (field_identifier) @access.member) @access

(call_expression function: (_) @call.callee) @call

(identifier) @ref

(class_specifier name: (type_identifier) @name (base_class_clause)? @bases) @def.class
(struct_specifier name: (type_identifier) @name (base_class_clause) @bases) @def.struct

(function_definition
  type: (_)? @returns
  declarator: (function_declarator
    declarator: (qualified_identifier scope: (_) @container name: (identifier) @name)
    parameters: (parameter_list) @params)) @def.function
(function_definition
  type: (_)? @returns
  declarator: (function_declarator declarator: (field_identifier) @name parameters: (parameter_list) @params))
  @def.function
(field_declaration
  type: (_)? @returns
  declarator: (function_declarator declarator: (field_identifier) @name parameters: (parameter_list) @params))
  @def.function

(parameter_declaration type: (_) @type declarator: (reference_declarator (identifier) @name)) @def.parameter
(optional_parameter_declaration type: (_) @type declarator: (identifier) @name default_value: (_) @value)
  @def.parameter
(for_range_loop type: (_) @type declarator: (identifier) @name right: (_) @iter) @def.variable

(qualified_identifier
  scope: (_) @access.object
  name: [(identifier) (type_identifier) (namespace_identifier)] @access.member) @access
