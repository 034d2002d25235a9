; glm-lsp analysis query. Capture vocabulary: see python.scm (def.<kind>/name/type/params/returns/
; value/iter/ctx/container/bases, import.*, access.*, call.*, ref).

(class_declaration name: (identifier) @name superclass: (superclass (_) @bases)?) @def.class
(record_declaration name: (identifier) @name parameters: (formal_parameters) @params) @def.class
(interface_declaration name: (identifier) @name) @def.interface
(enum_declaration name: (identifier) @name) @def.enum
(enum_constant name: (identifier) @name) @def.constant
(method_declaration
  type: (_) @returns
  name: (identifier) @name
  parameters: (formal_parameters) @params) @def.function
(constructor_declaration name: (identifier) @name parameters: (formal_parameters) @params)
  @def.function
(field_declaration
  type: (_) @type
  declarator: (variable_declarator name: (identifier) @name value: (_)? @value)) @def.field
(local_variable_declaration
  type: (_) @type
  declarator: (variable_declarator name: (identifier) @name value: (_)? @value)) @def.variable
(enhanced_for_statement type: (_) @type name: (identifier) @name value: (_) @iter) @def.variable
(formal_parameter type: (_) @type name: (identifier) @name) @def.parameter
(spread_parameter (_) @type (variable_declarator name: (identifier) @name)) @def.parameter
(catch_formal_parameter name: (identifier) @name) @def.variable

(import_declaration (scoped_identifier) @import.module) @import

(field_access object: (_) @access.object field: (identifier) @access.member) @access
(method_invocation object: (_) @access.object name: (identifier) @access.member) @access

(method_invocation name: (identifier) @call.callee) @call
(object_creation_expression type: (_) @call.callee) @call

(identifier) @ref
