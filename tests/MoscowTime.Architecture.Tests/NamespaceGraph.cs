using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace MoscowTime.Architecture.Tests;

/// <summary>
/// Which of an assembly's namespaces use which, read from its metadata: signatures, base types,
/// attributes and every type, method and field token in the IL, so a use inside a method body
/// counts as much as one in a signature.
/// </summary>
public static class NamespaceGraph
{
    private static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value, code => code.OperandType);

    /// <summary>Edges between the namespaces that start with <paramref name="prefix"/>, within one assembly.</summary>
    public static IReadOnlyDictionary<string, IReadOnlySet<string>> Of(string assemblyPath, string prefix)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath));
        var metadata = pe.GetMetadataReader();
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var handle in metadata.TypeDefinitions)
        {
            var from = NamespaceOf(metadata, handle);
            if (!from.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var edges = graph.TryGetValue(from, out var known) ? known : graph[from] = new HashSet<string>(StringComparer.Ordinal);
            foreach (var used in UsedTypes(metadata, pe, handle))
            {
                var to = NamespaceOf(metadata, used);
                if (to != from && to.StartsWith(prefix, StringComparison.Ordinal))
                {
                    edges.Add(to);
                }
            }
        }

        return graph.ToDictionary(pair => pair.Key, pair => (IReadOnlySet<string>)pair.Value, StringComparer.Ordinal);
    }

    /// <summary>A nested type (a closure, a state machine) belongs to the namespace of the type it sits in.</summary>
    private static string NamespaceOf(MetadataReader metadata, TypeDefinitionHandle handle)
    {
        var type = metadata.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            type = metadata.GetTypeDefinition(type.GetDeclaringType());
        }

        return metadata.GetString(type.Namespace);
    }

    private static HashSet<TypeDefinitionHandle> UsedTypes(MetadataReader metadata, PEReader pe, TypeDefinitionHandle handle)
    {
        var used = new Collector(metadata);
        var type = metadata.GetTypeDefinition(handle);
        used.Entity(type.BaseType);
        foreach (var implemented in type.GetInterfaceImplementations())
        {
            used.Entity(metadata.GetInterfaceImplementation(implemented).Interface);
        }

        used.Attributes(type.GetCustomAttributes());
        used.GenericParameters(type.GetGenericParameters());
        foreach (var fieldHandle in type.GetFields())
        {
            var field = metadata.GetFieldDefinition(fieldHandle);
            field.DecodeSignature(used, null);
            used.Attributes(field.GetCustomAttributes());
        }

        foreach (var propertyHandle in type.GetProperties())
        {
            var property = metadata.GetPropertyDefinition(propertyHandle);
            property.DecodeSignature(used, null);
            used.Attributes(property.GetCustomAttributes());
        }

        foreach (var eventHandle in type.GetEvents())
        {
            used.Entity(metadata.GetEventDefinition(eventHandle).Type);
        }

        foreach (var methodHandle in type.GetMethods())
        {
            var method = metadata.GetMethodDefinition(methodHandle);
            method.DecodeSignature(used, null);
            used.Attributes(method.GetCustomAttributes());
            used.GenericParameters(method.GetGenericParameters());
            foreach (var parameter in method.GetParameters())
            {
                used.Attributes(metadata.GetParameter(parameter).GetCustomAttributes());
            }

            if (method.RelativeVirtualAddress != 0)
            {
                var body = pe.GetMethodBody(method.RelativeVirtualAddress);
                if (!body.LocalSignature.IsNil)
                {
                    metadata.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(used, null);
                }

                foreach (var token in Tokens(body.GetILReader()))
                {
                    used.Entity(MetadataTokens.EntityHandle(token));
                }
            }
        }

        return used.Types;
    }

    /// <summary>The metadata tokens among a method body's operands (strings aside).</summary>
    private static List<int> Tokens(BlobReader il)
    {
        var tokens = new List<int>();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il.ReadByte()));
            }

            switch (OperandTypes[value])
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineType
                    or OperandType.InlineTok or OperandType.InlineSig:
                    tokens.Add(il.ReadInt32());
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineSwitch:
                    // Read the count first: in `il.Offset += 4 * il.ReadInt32()` the offset is read
                    // before the count is, and the count's own 4 bytes were skipped back over.
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                default:
                    il.Offset += 4;
                    break;
            }
        }

        return tokens;
    }

    /// <summary>Gathers the assembly's own types that a signature or token names.</summary>
    private sealed class Collector(MetadataReader metadata) : ISignatureTypeProvider<int, object?>
    {
        public HashSet<TypeDefinitionHandle> Types { get; } = [];

        public void Entity(EntityHandle handle)
        {
            if (handle.IsNil)
            {
                return;
            }

            switch (handle.Kind)
            {
                case HandleKind.TypeDefinition:
                    Types.Add((TypeDefinitionHandle)handle);
                    break;
                case HandleKind.TypeSpecification:
                    metadata.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null);
                    break;
                case HandleKind.MethodDefinition:
                    Types.Add(metadata.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.FieldDefinition:
                    Types.Add(metadata.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
                    break;
                case HandleKind.MemberReference:
                    var member = metadata.GetMemberReference((MemberReferenceHandle)handle);
                    Entity(member.Parent);
                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        member.DecodeMethodSignature(this, null);
                    }
                    else
                    {
                        member.DecodeFieldSignature(this, null);
                    }

                    break;
                case HandleKind.MethodSpecification:
                    var specification = metadata.GetMethodSpecification((MethodSpecificationHandle)handle);
                    Entity(specification.Method);
                    specification.DecodeSignature(this, null);
                    break;
                case HandleKind.StandaloneSignature:
                    var signature = metadata.GetStandaloneSignature((StandaloneSignatureHandle)handle);
                    if (signature.GetKind() == StandaloneSignatureKind.Method)
                    {
                        signature.DecodeMethodSignature(this, null);
                    }

                    break;
            }
        }

        public void Attributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var attribute in attributes)
            {
                Entity(metadata.GetCustomAttribute(attribute).Constructor);
            }
        }

        public void GenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var parameter in parameters)
            {
                foreach (var constraint in metadata.GetGenericParameter(parameter).GetConstraints())
                {
                    Entity(metadata.GetGenericParameterConstraint(constraint).Type);
                }
            }
        }

        public int GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind)
        {
            Types.Add(handle);
            return 0;
        }

        public int GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind)
        {
            Entity(handle);
            return 0;
        }

        public int GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => 0;
        public int GetPrimitiveType(PrimitiveTypeCode typeCode) => 0;
        public int GetSZArrayType(int elementType) => 0;
        public int GetArrayType(int elementType, ArrayShape shape) => 0;
        public int GetByReferenceType(int elementType) => 0;
        public int GetPointerType(int elementType) => 0;
        public int GetPinnedType(int elementType) => 0;
        public int GetGenericInstantiation(int genericType, System.Collections.Immutable.ImmutableArray<int> typeArguments) => 0;
        public int GetGenericMethodParameter(object? genericContext, int index) => 0;
        public int GetGenericTypeParameter(object? genericContext, int index) => 0;
        public int GetFunctionPointerType(MethodSignature<int> signature) => 0;
        public int GetModifiedType(int modifier, int unmodifiedType, bool isRequired) => 0;
    }
}
