; glm-lsp analysis query for Python.
; Capture vocabulary shared by every language (see glm_lsp/analysis/extract.py):
;   @def.<kind>  the whole definition node; @name its name; optional @type, @params, @returns,
;                @value (assigned expression), @iter (loop iterable), @ctx (with-item expression),
;                @exc (the exception class(es) an `except ... as e` catches),
;                @container (owner type when it is not the enclosing node)
;   @import with @import.module / @import.from / @import.name / @import.alias / @import.wildcard
;   @access with @access.object and @access.member     (member usage frequencies)
;   @call with @call.callee
;   @scope.class a type body that defines no symbol itself (Rust impl: gives `self` its type)
;   @ref   every identifier (identifier frequencies)

(function_definition
  name: (identifier) @name
  parameters: (parameters) @params
  return_type: (type)? @returns) @def.function

(class_definition
  name: (identifier) @name
  superclasses: (argument_list)? @bases) @def.class

(assignment
  left: (identifier) @name
  type: (type)? @type
  right: (_)? @value) @def.variable

(assignment
  left: (attribute
    object: (identifier) @_self
    attribute: (identifier) @name)
  type: (type)? @type
  right: (_)? @value
  (#any-of? @_self "self" "cls")) @def.field

(assignment
  left: [(pattern_list (identifier) @name) (tuple_pattern (identifier) @name)]) @def.variable

(named_expression name: (identifier) @name value: (_) @value) @def.variable

(for_statement left: (identifier) @name right: (_) @iter) @def.variable
(for_statement left: [(pattern_list (identifier) @name) (tuple_pattern (identifier) @name)]) @def.variable
(for_in_clause left: (identifier) @name right: (_) @iter) @def.variable

(with_item
  value: (as_pattern
    (_) @ctx
    alias: (as_pattern_target (identifier) @name))) @def.variable

(except_clause
  (as_pattern (_) @exc alias: (as_pattern_target (identifier) @name))) @def.variable

(parameters (identifier) @name @def.parameter)
(parameters (typed_parameter (identifier) @name type: (type) @type) @def.parameter)
(parameters (default_parameter name: (identifier) @name value: (_) @value) @def.parameter)
(parameters
  (typed_default_parameter name: (identifier) @name type: (type) @type value: (_) @value)
  @def.parameter)
(parameters (list_splat_pattern (identifier) @name) @def.parameter)
(parameters (dictionary_splat_pattern (identifier) @name) @def.parameter)
(parameters (typed_parameter (list_splat_pattern (identifier) @name) type: (type) @type) @def.parameter)
(parameters (typed_parameter (dictionary_splat_pattern (identifier) @name) type: (type) @type) @def.parameter)
(lambda_parameters (identifier) @name @def.parameter)

(import_statement name: (dotted_name) @import.module) @import
(import_statement
  name: (aliased_import name: (dotted_name) @import.module alias: (identifier) @import.alias))
  @import
(import_from_statement
  module_name: (_) @import.from
  name: (dotted_name) @import.name) @import
(import_from_statement
  module_name: (_) @import.from
  name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.alias))
  @import
(import_from_statement module_name: (_) @import.from (wildcard_import) @import.wildcard) @import

(attribute object: (_) @access.object attribute: (identifier) @access.member) @access

(call function: (_) @call.callee) @call

(identifier) @ref
