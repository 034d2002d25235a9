; C++ query: everything the C query captures, then the C++-only forms.
; include: c


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
