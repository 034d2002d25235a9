; glm-lsp analysis query. Capture vocabulary: see python.scm (def.<kind>/name/type/params/returns/
; value/iter/ctx/container/bases, import.*, access.*, call.*, ref).

(function_declaration
  name: (identifier) @name
  parameters: (formal_parameters) @params
  return_type: (type_annotation (_) @returns)?) @def.function
(function_signature
  name: (identifier) @name
  parameters: (formal_parameters) @params
  return_type: (type_annotation (_) @returns)?) @def.function
(generator_function_declaration
  name: (identifier) @name parameters: (formal_parameters) @params) @def.function
(class_declaration name: (type_identifier) @name (class_heritage)? @bases) @def.class
(abstract_class_declaration name: (type_identifier) @name (class_heritage)? @bases) @def.class
(interface_declaration name: (type_identifier) @name (extends_type_clause)? @bases) @def.interface
(type_alias_declaration name: (type_identifier) @name value: (_) @type) @def.type
(enum_declaration name: (identifier) @name) @def.enum
(enum_body name: (property_identifier) @name @def.constant)
(method_definition
  name: (property_identifier) @name
  parameters: (formal_parameters) @params
  return_type: (type_annotation (_) @returns)?) @def.function
(method_signature
  name: (property_identifier) @name
  parameters: (formal_parameters) @params
  return_type: (type_annotation (_) @returns)?) @def.function
(abstract_method_signature
  name: (property_identifier) @name
  parameters: (formal_parameters) @params
  return_type: (type_annotation (_) @returns)?) @def.function
(public_field_definition
  name: (property_identifier) @name
  type: (type_annotation (_) @type)?
  value: (_)? @value) @def.field
(property_signature name: (property_identifier) @name type: (type_annotation (_) @type)?) @def.field
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @name)
  right: (_) @value) @def.field
(variable_declarator
  name: (identifier) @name
  type: (type_annotation (_) @type)?
  value: (_)? @value) @def.variable
(for_in_statement left: (identifier) @name right: (_) @iter) @def.variable

(required_parameter pattern: (identifier) @name type: (type_annotation (_) @type)? value: (_)? @value)
  @def.parameter
(optional_parameter pattern: (identifier) @name type: (type_annotation (_) @type)? value: (_)? @value)
  @def.parameter
(required_parameter pattern: (rest_pattern (identifier) @name) type: (type_annotation (_) @type)?)
  @def.parameter
(arrow_function parameter: (identifier) @name @def.parameter)

; include: ecmascript
