using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MoscowTime.Sidecar.Files;

/// <summary>The few POSIX calls .NET has no API for.</summary>
internal static partial class Posix
{
    // O_RDONLY, which opens a directory too; O_DIRECTORY differs between x64 and arm64.
    private const int ReadOnly = 0;

    public static bool IsRoot => GetEffectiveUserId() == 0;

    /// <summary>Makes a rename or unlink in <paramref name="directory"/> durable: until then a power cut can bring the old name back.</summary>
    public static void SyncDirectory(string directory)
    {
        var descriptor = Open(directory, ReadOnly);
        if (descriptor < 0)
        {
            throw Failure("open", directory);
        }

        using var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        if (FileSync(handle) != 0)
        {
            throw Failure("fsync", directory);
        }
    }

    public static void ChangeOwner(string path, uint user, uint group)
    {
        if (ChangeOwnerNative(path, user, group) != 0)
        {
            throw Failure("chown", path);
        }
    }

    private static IOException Failure(string call, string path)
    {
        var error = Marshal.GetLastPInvokeError();
        return new IOException($"{call} {path} failed: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})", error);
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FileSync(SafeFileHandle descriptor);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChangeOwnerNative(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
