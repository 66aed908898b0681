namespace SplitNet.Edge.RateControl;

/// <summary>
/// Picks the rate level of each frame so that frames meet their deadline at the camera's frame
/// rate, from what the edge can observe: each frame's exact coded size (known before it is sent),
/// its round-trip time and the server's own time on it.
/// <list type="bullet">
/// <item>The first second and first 20 answers only set the base RTT: start-up delays are not congestion.</item>
/// <item>The base RTT is the smallest network time (RTT minus server time) seen lately; the
/// queueing delay of a frame is its network time above that base.</item>
/// <item>The link's capacity is estimated from the bytes answered per second while frames queue
/// (a congested link delivers exactly its capacity); when nothing queues it is only known to be
/// at least the current demand.</item>
/// <item>Congestion (smoothed queueing delay above a third of the deadline) moves straight down
/// to the highest level whose demand, frame rate × (expected bytes + overhead), fits within
/// <see cref="RateControlOptions.Headroom"/> of the capacity — at least one level down.</item>
/// <item>A frame whose exact size would not drain by its deadline behind the bytes already in
/// flight is re-coded one level lower before it is sent (<see cref="Fits"/>).</item>
/// <item>After <see cref="RateControlOptions.ProbeInterval"/> with little queueing, the controller
/// moves one level up if the capacity estimate allows it. An estimate learnt from congestion is
/// trusted until the link has been calm for <see cref="RateControlOptions.CapacityMemory"/>, since
/// links recover; then the controller probes one level up at a time, each once the one before has
/// held for <see cref="ProbeVerdictSeconds"/>. A probe that meets congestion within
/// <see cref="ProbeVerdictSeconds"/> doubles the memory (up to 16 ×), so a link that has not
/// recovered is probed ever more rarely instead of having its queue refilled every few seconds;
/// a probe of the level that congested that holds resets it.</item>
/// <item>Levels are priced as one message a frame. A frame of an embedded model goes in segments
/// (a base, then refinements) only when the link has room for the framing of each message
/// (<see cref="Affords"/>); on a thinner link it goes whole, at the level one message allows.</item>
/// <item>A frame that would not drain by its deadline even at the lowest level is not sent
/// (<see cref="Fits"/> at level 0): it could not be answered in time, and sending it would only
/// delay the frames behind it.</item>
/// </list>
/// </summary>
public sealed class RateController
{
    private readonly double[] _levelBytes;
    private readonly RateControlOptions _options;
    private readonly TimeProvider _clock;
    private readonly object _gate = new();
    private readonly Queue<(long At, int Bytes)> _delivered = new();
    private int _level;
    // The base RTT is the minimum over the current and the previous window of BaseRttWindowSeconds.
    private double _windowMinRtt = double.PositiveInfinity;
    private double _previousMinRtt = double.PositiveInfinity;
    private long _windowAt;
    private double _queueing;
    private double _capacity = double.PositiveInfinity;
    private long _lastCongestedAt;
    // The level that last congested: not re-entered on the estimate alone, only by a probe.
    private int _ceiling;
    private long _inFlightBytes;
    private long _changedAt;
    private long _congestedSince = -1;
    private long _firstAnswerAt = -1;
    private int _answers;
    private double _memory;
    private long _probedAt = -1;

    /// <param name="levelBytes">Expected coded bytes per frame at each level, lowest rate first.</param>
    /// <param name="startLevel">The level to start at.</param>
    public RateController(IReadOnlyList<double> levelBytes, int startLevel, RateControlOptions options, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(levelBytes.Count);
        _levelBytes = [.. levelBytes];
        _options = options;
        _clock = clock ?? TimeProvider.System;
        _level = Math.Clamp(startLevel, 0, levelBytes.Count - 1);
        _changedAt = _windowAt = _clock.GetTimestamp();
        _memory = options.CapacityMemory.TotalSeconds;
        _ceiling = levelBytes.Count;
    }

    /// <summary>The level the next frame should be coded at.</summary>
    public int Level
    {
        get
        {
            lock (_gate)
            {
                return _level;
            }
        }
    }

    /// <summary>Estimated link capacity in bytes per second (infinity until the link has queued).</summary>
    public double Capacity
    {
        get
        {
            lock (_gate)
            {
                return _capacity;
            }
        }
    }

    /// <summary>
    /// Whether a frame of <paramref name="bytes"/> payload bytes in <paramref name="messages"/>
    /// messages drains by its deadline behind what is in flight.
    /// </summary>
    public bool Fits(int bytes, int messages = 1)
    {
        lock (_gate)
        {
            return FitsLocked(Wire(bytes, messages));
        }
    }

    /// <summary>
    /// Whether the link has room for a frame in <paramref name="messages"/> messages, each paying its
    /// framing: it drains by its deadline (<see cref="Fits"/>) and frames like it, one a frame
    /// period, stay within <see cref="RateControlOptions.Headroom"/> of the capacity. A frame
    /// goes in segments only when this holds; on a link too thin for their framing it goes whole.
    /// </summary>
    public bool Affords(int bytes, int messages)
    {
        lock (_gate)
        {
            double wire = Wire(bytes, messages);
            return FitsLocked(wire) && _options.FrameRate * wire <= _options.Headroom * _capacity;
        }
    }

    /// <summary>A frame of <paramref name="bytes"/> payload bytes left in <paramref name="messages"/> messages.</summary>
    public void Sent(int bytes, int messages = 1)
    {
        lock (_gate)
        {
            _inFlightBytes += (long)Wire(bytes, messages);
        }
    }

    /// <summary>
    /// A frame's answer arrived (or it ended otherwise: pass its latency anyway, the bytes are no
    /// longer in flight).
    /// </summary>
    public void Answered(int bytes, TimeSpan latency, TimeSpan serverTime, int messages = 1)
    {
        lock (_gate)
        {
            long now = _clock.GetTimestamp();
            double wire = Wire(bytes, messages);
            _inFlightBytes = Math.Max(0, _inFlightBytes - (long)wire);
            double network = Math.Max(0, (latency - serverTime).TotalSeconds);
            // The base RTT forgets slowly (a window of minima), so a route that got longer is eventually
            // learnt, but a congested moment never becomes the base.
            if (Elapsed(_windowAt, now) > BaseRttWindowSeconds)
            {
                (_previousMinRtt, _windowMinRtt, _windowAt) = (_windowMinRtt, double.PositiveInfinity, now);
            }
            _windowMinRtt = Math.Min(_windowMinRtt, network);
            double queueing = network - BaseRtt;
            _queueing = 0.8 * _queueing + 0.2 * queueing;

            _delivered.Enqueue((now, (int)wire));
            while (_delivered.Count > 0 && Elapsed(_delivered.Peek().At, now) > 1)
            {
                _delivered.Dequeue();
            }
            double window = _delivered.Count > 1 ? Math.Max(Elapsed(_delivered.Peek().At, now), 0.25) : 1;
            double deliveredRate = _delivered.Sum(d => (double)d.Bytes) / window;

            // The first second (connections opening, first forwards) says nothing about the link.
            _answers++;
            if (_firstAnswerAt < 0)
            {
                _firstAnswerAt = now;
            }
            if (_answers < WarmUpAnswers || Elapsed(_firstAnswerAt, now) < 1)
            {
                _queueing = 0;
                return;
            }
            double budget = _options.Deadline.TotalSeconds;
            if (_queueing > budget / 3)
            {
                Congested(now, deliveredRate);
                return;
            }
            _congestedSince = -1;
            if (_probedAt >= 0 && Elapsed(_probedAt, now) > ProbeVerdictSeconds)
            {
                _probedAt = -1;
                if (_level >= _ceiling)
                {
                    // The level that congested holds now: the link has recovered.
                    (_memory, _ceiling) = (_options.CapacityMemory.TotalSeconds, _levelBytes.Length);
                }
            }
            bool calm = _queueing < budget / 10;
            if (!calm || Elapsed(_changedAt, now) < _options.ProbeInterval.TotalSeconds || _level + 1 >= _levelBytes.Length)
            {
                return;
            }
            if (_level + 1 < _ceiling && Demand(_level + 1) <= _options.Headroom * _capacity)
            {
                Change(_level + 1, now);
            }
            else if (_probedAt < 0 && Elapsed(_lastCongestedAt, now) >= _memory)
            {
                // Calm for a memory since the last congestion and no probe awaiting its verdict: probe
                // one level above the estimate, which becomes just that level's demand, so each further
                // level is probed in turn.
                Change(_level + 1, now);
                (_capacity, _probedAt) = (Demand(_level) / _options.Headroom, now);
            }
        }
    }

    private void Congested(long now, double deliveredRate)
    {
        if (Elapsed(_lastCongestedAt, now) > _options.ProbeInterval.TotalSeconds)
        {
            // A new episode: the level in use congested (later answers of it only confirm it).
            _ceiling = Math.Min(_ceiling, _level);
        }
        _lastCongestedAt = now;
        if (_congestedSince < 0)
        {
            _congestedSince = now;
        }
        // A link that queues delivers its capacity; give it a quarter second to show it.
        if (Elapsed(_congestedSince, now) >= 0.25 || double.IsPositiveInfinity(_capacity))
        {
            _capacity = deliveredRate;
        }
        if (_probedAt >= 0)
        {
            _memory = Math.Min(2 * _memory, MaxMemoryFactor * _options.CapacityMemory.TotalSeconds);
            _probedAt = -1;
        }
        Change(Math.Min(HighestFitting(_capacity), _level - 1), now);
    }

    /// <summary>How soon after a probe congestion counts against it, in seconds.</summary>
    public const double ProbeVerdictSeconds = 3;

    private const double MaxMemoryFactor = 16;
    private const double BaseRttWindowSeconds = 10;

    private double BaseRtt => Math.Min(_windowMinRtt, _previousMinRtt);
    private const int WarmUpAnswers = 20;

    private int HighestFitting(double capacity)
    {
        for (int level = _levelBytes.Length - 1; level > 0; level--)
        {
            if (Demand(level) <= _options.Headroom * capacity)
            {
                return level;
            }
        }
        return 0;
    }

    private double Demand(int level) => _options.FrameRate * Wire(_levelBytes[level], 1);

    private double Wire(double bytes, int messages) => bytes + messages * _options.OverheadBytes;

    private bool FitsLocked(double wire)
    {
        if (double.IsPositiveInfinity(_capacity) || _inFlightBytes == 0)
        {
            // A lone frame always goes: held back with nothing in flight, no answer would ever update the estimates.
            return true;
        }
        double baseRtt = double.IsPositiveInfinity(BaseRtt) ? 0 : BaseRtt;
        return baseRtt + (_inFlightBytes + wire) / _capacity <= _options.Deadline.TotalSeconds * _options.Headroom;
    }

    private void Change(int level, long now)
    {
        level = Math.Clamp(level, 0, _levelBytes.Length - 1);
        if (level != _level)
        {
            (_level, _changedAt) = (level, now);
            _queueing = 0;
            _congestedSince = -1;
        }
    }

    private double Elapsed(long since, long now) => (double)(now - since) / _clock.TimestampFrequency;
}
