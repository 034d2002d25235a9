; glm-lsp analysis query. Capture vocabulary: see python.scm (def.<kind>/name/type/params/returns/
; value/iter/ctx/container/bases, import.*, access.*, call.*, ref).

(function_declaration name: (identifier) @name parameters: (formal_parameters) @params) @def.function
(generator_function_declaration
  name: (identifier) @name parameters: (formal_parameters) @params) @def.function
(class_declaration name: (identifier) @name (class_heritage (_) @bases)?) @def.class
(method_definition name: (property_identifier) @name parameters: (formal_parameters) @params)
  @def.function
(field_definition property: (property_identifier) @name value: (_)? @value) @def.field
(assignment_expression
  left: (member_expression object: (this) property: (property_identifier) @name)
  right: (_) @value) @def.field
(variable_declarator name: (identifier) @name value: (_)? @value) @def.variable
(for_in_statement left: (identifier) @name right: (_) @iter) @def.variable

(formal_parameters (identifier) @name @def.parameter)
(formal_parameters (assignment_pattern left: (identifier) @name right: (_) @value) @def.parameter)
(formal_parameters (rest_pattern (identifier) @name) @def.parameter)
(arrow_function parameter: (identifier) @name @def.parameter)

; include: ecmascript
