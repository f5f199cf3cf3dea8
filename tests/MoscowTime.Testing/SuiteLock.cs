using System.Diagnostics;

namespace MoscowTime.Testing;

/// <summary>
/// Keeps the heavy suites (faults, end-to-end: both cores busy for minutes) from running beside any
/// other test assembly, however `dotnet test MoscowTime.sln` schedules the projects. Every test
/// assembly holds one lock file for as long as its test host lives: the light suites shared, so they
/// still run together, the heavy ones exclusive. It is a file lock, so the OS drops it when the
/// host exits, even when it is killed.
/// </summary>
public static class SuiteLock
{
    private static readonly string LockFile = Path.Combine(Path.GetTempPath(), "moscowtime-test-suites.lock");
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(45);
    private static FileStream? _held;

    public static void Enter(string suite, bool exclusive)
    {
        var waited = Stopwatch.StartNew();
        var announced = false;
        while (true)
        {
            try
            {
                // .NET maps FileShare.None to flock(LOCK_EX) and any other share to flock(LOCK_SH).
                _held = new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, exclusive ? FileShare.None : FileShare.ReadWrite);
                if (announced)
                {
                    Console.Error.WriteLine($"{suite}: started after waiting {waited.Elapsed.TotalSeconds:0} s for {(exclusive ? "every other suite" : "a heavy suite")}");
                }

                return;
            }
            catch (IOException) when (waited.Elapsed < Patience)
            {
                if (!announced)
                {
                    Console.Error.WriteLine($"{suite}: waiting for {(exclusive ? "the other test suites" : "a heavy suite (faults, end-to-end)")} to finish ({LockFile})");
                    announced = true;
                }

                Thread.Sleep(250);
            }
            catch (IOException ex)
            {
                throw new TimeoutException($"{suite} waited {Patience.TotalMinutes:0} min for the other test suites to finish ({LockFile}): is a test host stuck?", ex);
            }
        }
    }
}
