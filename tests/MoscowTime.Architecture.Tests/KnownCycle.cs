// Two namespaces that use each other, one in a method body only: the graph reader must see both.
namespace MoscowTime.Architecture.Tests.KnownCycle.Left
{
    public static class Caller
    {
        public static int Call() => Right.Callee.Answer() + 1;
    }
}

namespace MoscowTime.Architecture.Tests.KnownCycle.Right
{
    public static class Callee
    {
        public static int Answer() => 41;

        public static Func<int> Back() => Left.Caller.Call;
    }
}
