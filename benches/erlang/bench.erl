%% The benches workloads on the BEAM, for the side-by-side table.
%%
%% Run by the benches binary as
%%   erl -noshell +S 2 +P 2097152 -pa DIR -run bench main WORKLOAD COUNT...
%% with the same counts as every Rust implementation (benches/src/workloads.rs).
%% The remote workloads run on a distributed node, with the short name of
%% the peer node (started by the benches binary) before the counts:
%%   erl -sname D ... -run bench main remote-WORKLOAD PEER COUNT...
%% Prints one line: RESULT key=value ... (integers), then halts.
-module(bench).
-export([main/1, echo_start/0, sink/2, serve/1]).

main(["remote-" ++ _ = Workload, Peer | Args]) ->
    [_, Host] = string:split(atom_to_list(node()), "@"),
    Node = list_to_atom(Peer ++ "@" ++ Host),
    Counts = [list_to_integer(A) || A <- Args],
    report(Workload, fun() ->
        true = connect(Node, 100),
        remote(Workload, Node, Counts)
    end);
main([Workload | Args]) ->
    Counts = [list_to_integer(A) || A <- Args],
    report(Workload, fun() -> run(Workload, Counts) end).

report(Workload, Fun) ->
    try Fun() of
        Result ->
            Fields = [io_lib:format(" ~s=~b", [K, V]) || {K, V} <- Result],
            io:format("RESULT~s~n", [Fields]),
            halt(0)
    catch
        Class:Reason:Stack ->
            io:format(standard_error, "bench ~s failed: ~p:~p~n~p~n",
                      [Workload, Class, Reason, Stack]),
            halt(1)
    end.

run("ping-pong", [N]) -> ping_pong(N);
run("fan-in", [P, Per]) -> fan_in(P, Per);
run("ask", [N]) -> ask(N);
run("spawn", [N]) -> spawn_idle(N);
run("ring", [M, Hops]) -> ring(M, Hops);
run("skynet", [Leaves]) -> skynet(Leaves).

now_ns() -> erlang:monotonic_time(nanosecond).

%% Peak RSS of the VM (VmHWM), in bytes.
peak_rss() ->
    {ok, F} = file:open("/proc/self/status", [read]),
    Kb = find_hwm(F),
    ok = file:close(F),
    Kb * 1024.

find_hwm(F) ->
    case file:read_line(F) of
        {ok, "VmHWM:" ++ Rest} ->
            [Num | _] = string:lexemes(Rest, " \t\n"),
            list_to_integer(Num);
        {ok, _} -> find_hwm(F)
    end.

%% ping-pong: B echoes, A counts round trips.
ping_pong(N) ->
    Driver = self(),
    T0 = now_ns(),
    B = spawn(fun() -> receive {peer, A} -> echo(A) end end),
    A = spawn(fun() -> counter(B, N, Driver) end),
    B ! {peer, A},
    B ! {ball, 0},
    receive {done, N} -> ok end,
    [{elapsed_ns, now_ns() - T0}].

echo(Peer) ->
    receive {ball, X} -> Peer ! {ball, X}, echo(Peer) end.

counter(Peer, N, Driver) ->
    receive
        {ball, X} ->
            case X + 1 of
                N -> Driver ! {done, N};
                Y -> Peer ! {ball, Y}, counter(Peer, N, Driver)
            end
    end.

%% fan-in: P producers send 1..Per to one summer.
fan_in(P, Per) ->
    Driver = self(),
    T0 = now_ns(),
    Summer = spawn(fun() -> sum_loop(P * Per, 0, Driver) end),
    [spawn(fun() -> produce(Summer, 1, Per) end) || _ <- lists:seq(1, P)],
    Expected = P * Per * (Per + 1) div 2,
    receive {done, Sum} -> Expected = Sum end,
    [{elapsed_ns, now_ns() - T0}].

sum_loop(0, Sum, Driver) -> Driver ! {done, Sum};
sum_loop(K, Sum, Driver) -> receive V -> sum_loop(K - 1, Sum + V, Driver) end.

produce(_, I, N) when I > N -> ok;
produce(Summer, I, N) -> Summer ! I, produce(Summer, I + 1, N).

%% ask: N sequential request/replies, a fresh reference per request.
ask(N) ->
    Server = spawn(fun() -> serve(0) end),
    T0 = now_ns(),
    {TEnd, Last, Lats} = ask_loop(Server, N, T0, 0, []),
    N = Last,
    Sorted = list_to_tuple(lists:sort(Lats)),
    Rank = max(1, min(N, ceil(0.99 * N))),
    [{elapsed_ns, TEnd - T0}, {p99_ns, element(Rank, Sorted)}].

serve(C) ->
    receive {get, From, Ref} -> From ! {Ref, C + 1}, serve(C + 1) end.

ask_loop(_, 0, Prev, Last, Lats) -> {Prev, Last, Lats};
ask_loop(Server, K, Prev, _, Lats) ->
    Ref = make_ref(),
    Server ! {get, self(), Ref},
    receive
        {Ref, C} ->
            Now = now_ns(),
            ask_loop(Server, K - 1, Now, C, [Now - Prev | Lats])
    end.

%% spawn: N processes wait for one message each; send each one; wait for
%% every 'DOWN'. Also the growth of peak RSS per process.
spawn_idle(N) ->
    H0 = peak_rss(),
    T0 = now_ns(),
    Pids = [element(1, spawn_monitor(fun() -> receive go -> ok end end))
            || _ <- lists:seq(1, N)],
    [Pid ! go || Pid <- Pids],
    wait_down(N),
    T1 = now_ns(),
    [{elapsed_ns, T1 - T0}, {grown_bytes, max(0, peak_rss() - H0)}].

wait_down(0) -> ok;
wait_down(K) -> receive {'DOWN', _, process, _, _} -> wait_down(K - 1) end.

%% ring: M processes pass a token Hops times.
ring(M, Hops) ->
    Driver = self(),
    T0 = now_ns(),
    Nodes = [spawn(fun() -> receive {next, Next} -> ring_node(Next, Driver) end end)
             || _ <- lists:seq(1, M)],
    [First | Rest] = Nodes,
    lists:foreach(fun({Node, Next}) -> Node ! {next, Next} end,
                  lists:zip(Nodes, Rest ++ [First])),
    First ! Hops,
    receive ring_done -> ok end,
    [{elapsed_ns, now_ns() - T0}].

ring_node(Next, Driver) ->
    receive
        0 -> Driver ! ring_done, ring_node(Next, Driver);
        T -> Next ! T - 1, ring_node(Next, Driver)
    end.

%% skynet: every node spawns ten children; leaves report their number.
skynet(Leaves) ->
    Driver = self(),
    T0 = now_ns(),
    spawn(fun() -> skynet_node(Driver, 0, Leaves) end),
    Expected = Leaves * (Leaves - 1) div 2,
    receive {sum, Sum} -> Expected = Sum end,
    T1 = now_ns(),
    [{elapsed_ns, T1 - T0}, {peak_rss_bytes, peak_rss()}].

skynet_node(Parent, Num, 1) -> Parent ! {sum, Num};
skynet_node(Parent, Num, Size) ->
    Self = self(),
    Child = Size div 10,
    [spawn(fun() -> skynet_node(Self, Num + I * Child, Child) end) || I <- lists:seq(0, 9)],
    Parent ! {sum, collect(10, 0)}.

collect(0, Sum) -> Sum;
collect(K, Sum) -> receive {sum, X} -> collect(K - 1, Sum + X) end.

%% The remote workloads: the driver's processes here, the other one on Node.
connect(_, 0) -> false;
connect(Node, K) ->
    case net_kernel:connect_node(Node) of
        true -> true;
        _ -> timer:sleep(50), connect(Node, K - 1)
    end.

%% remote-ping-pong: B echoes on the peer node, A counts here.
remote("remote-ping-pong", Node, [N]) ->
    Driver = self(),
    B = spawn(Node, bench, echo_start, []),
    T0 = now_ns(),
    A = spawn(fun() -> counter(B, N, Driver) end),
    B ! {peer, A},
    B ! {ball, 0},
    receive {done, N} -> ok end,
    [{elapsed_ns, now_ns() - T0}];
%% remote-tell: N messages to a sink on the peer node, then its barrier.
remote("remote-tell", Node, [N]) ->
    Sink = spawn(Node, bench, sink, [N, self()]),
    T0 = now_ns(),
    tell_loop(Sink, 1, N),
    Expected = N * (N + 1) div 2,
    receive {sunk, Sum} -> Expected = Sum end,
    [{elapsed_ns, now_ns() - T0}];
%% remote-call: N sequential request/replies to a server on the peer node.
remote("remote-call", Node, [N]) ->
    Server = spawn(Node, bench, serve, [0]),
    T0 = now_ns(),
    {TEnd, Last, Lats} = ask_loop(Server, N, T0, 0, []),
    N = Last,
    Sorted = list_to_tuple(lists:sort(Lats)),
    Rank = max(1, min(N, ceil(0.99 * N))),
    [{elapsed_ns, TEnd - T0}, {p99_ns, element(Rank, Sorted)}].

echo_start() ->
    receive {peer, A} -> echo(A) end.

sink(N, Driver) -> sink_loop(N, 0, Driver).

sink_loop(0, Sum, Driver) -> Driver ! {sunk, Sum};
sink_loop(K, Sum, Driver) -> receive V -> sink_loop(K - 1, Sum + V, Driver) end.

tell_loop(_, I, N) when I > N -> ok;
tell_loop(Sink, I, N) -> Sink ! I, tell_loop(Sink, I + 1, N).
