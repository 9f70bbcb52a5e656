/** asl-validator 4 ships no type declarations: the part the test uses. */
declare module 'asl-validator' {
  interface ValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly { readonly 'Error code': string; readonly Message: string }[];
  }
  const validator: (definition: unknown) => ValidationResult;
  export default validator;
}
