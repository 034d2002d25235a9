; TSX is TypeScript plus JSX: the TypeScript query applies unchanged.
; include: typescript
